package api

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/store"
)

// Archives are the files retention writes (docs/retention.md): operation
// records and ledger entries older than the retention period, removed from
// the database. Admins list and download them; a super admin can run
// retention now rather than wait for the daily job.

type ArchiveJSON struct {
	ID            string    `json:"id" example:"42"`
	FileName      string    `json:"file_name"`
	Cutoff        time.Time `json:"cutoff" doc:"Operation records and entries older than this were archived."`
	Entries       int64     `json:"entries" doc:"Ledger entries in the file."`
	Transactions  int64     `json:"transactions" doc:"Transactions whose entries are in the file; the transactions themselves stay."`
	AuditRecords  int64     `json:"audit_records" doc:"Operation records in the file."`
	AuditFirstSeq int64     `json:"audit_first_seq" doc:"Place in the chain of the first archived record; 0 when none."`
	AuditLastSeq  int64     `json:"audit_last_seq" doc:"Place of the last archived record: the chain in the database continues after it."`
	Size          int64     `json:"size" doc:"Bytes of the file."`
	SHA256        string    `json:"sha256" doc:"SHA-256 of the file, hex, recorded when it was written."`
	CreatedAt     time.Time `json:"created_at"`
	CreatedBy     *string   `json:"created_by" doc:"The administrator who ran it; null for the daily job." example:"2"`
	URL           string    `json:"url" doc:"Where to download the file." example:"https://erp.example.com/coffer/events"`
}

func archiveJSON(a store.Archive) ArchiveJSON {
	return ArchiveJSON{ID: idString(a.ID), FileName: a.FileName, Cutoff: utc(a.Cutoff), Entries: a.Entries, Transactions: a.Transactions,
		AuditRecords: a.AuditRecords, AuditFirstSeq: a.AuditFirstSeq, AuditLastSeq: a.AuditLastSeq, Size: a.Size, SHA256: a.SHA256,
		CreatedAt: utc(a.CreatedAt), CreatedBy: optID(a.CreatedBy), URL: prefix + "/archives/" + idString(a.ID)}
}

type ListArchivesInput struct{ Page }

type ArchivesOutput struct{ Body List[ArchiveJSON] }

type ArchiveIDInput struct {
	ID string `path:"id"`
}

type ArchiveFileOutput struct {
	ContentType string `header:"Content-Type"`
	Disposition string `header:"Content-Disposition"`
	Length      string `header:"Content-Length"`
	Digest      string `header:"Repr-Digest"`
	NoSniff     string `header:"X-Content-Type-Options"`
	Cache       string `header:"Cache-Control"`
	Body        func(huma.Context)
}

type RunRetentionOutput struct {
	Body struct {
		Cutoff  time.Time    `json:"cutoff" doc:"Rows older than this were to be archived."`
		Archive *ArchiveJSON `json:"archive" doc:"The archive written; null when nothing was old enough."`
		More    bool         `json:"more" doc:"The run stopped at its size limit and older rows remain: run again (the daily job does at once)."`
	}
}

func (a *API) registerArchives() {
	tags := []string{"archives"}
	register(a, huma.Operation{OperationID: "list-archives", Method: http.MethodGet, Path: "/archives", Tags: tags,
		Summary:     "Archives of old operation records and entries, newest first",
		Description: "Each archive is a gzip file of JSON lines that retention wrote before removing the rows (docs/retention.md)."}, auth.ActOperate,
		a.listArchives)
	register(a, huma.Operation{OperationID: "get-archive", Method: http.MethodGet, Path: "/archives/{id}", Tags: tags,
		Summary: "Download an archive file (.jsonl.gz)",
		Description: "The file is checked against the SHA-256 recorded when it was written before any of it is sent: " +
			"a file that was changed since is refused (archive_altered), a missing one too (archive_missing).",
		Responses: map[string]*huma.Response{"200": {Description: "The archive file", Content: map[string]*huma.MediaType{
			"application/gzip": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}},
		Errors: []int{http.StatusConflict, http.StatusServiceUnavailable}}, auth.ActOperate,
		a.getArchive)
	register(a, huma.Operation{OperationID: "run-retention", Method: http.MethodPost, Path: "/archives/run", Tags: tags,
		Summary: "Run retention now",
		Description: "Archives and removes operation records and entries older than the retention period, as the daily job does. " +
			"retention_running when another run is under way.",
		DefaultStatus: http.StatusOK, Errors: []int{http.StatusConflict, http.StatusServiceUnavailable}}, auth.ActSystem,
		a.runRetention)
}

func (a *API) listArchives(ctx context.Context, in *ListArchivesInput) (*ArchivesOutput, error) {
	limit, before, err := in.window()
	if err != nil {
		return nil, err
	}
	as, err := a.store.Archives(ctx, before, limit)
	if err != nil {
		return nil, err
	}
	return &ArchivesOutput{Body: pageOf(as, limit, archiveJSON, func() int64 { return as[len(as)-1].ID })}, nil
}

// getArchive streams a file that retention.Open checked against its
// checksum first.
func (a *API) getArchive(ctx context.Context, in *ArchiveIDInput) (*ArchiveFileOutput, error) {
	id, err := parseID(in.ID, "archive")
	if err != nil {
		return nil, err
	}
	arch, f, err := a.archiver.Open(ctx, id)
	if err != nil {
		return nil, err
	}
	sum, _ := hex.DecodeString(arch.SHA256) // written by us: always hex
	return &ArchiveFileOutput{ContentType: "application/gzip",
		Disposition: `attachment; filename="` + arch.FileName + `"`,
		Length:      strconv.FormatInt(arch.Size, 10),
		Digest:      "sha-256=:" + base64.StdEncoding.EncodeToString(sum) + ":",
		NoSniff:     "nosniff", Cache: "private, no-store",
		Body: func(hc huma.Context) {
			defer f.Close()
			hc.SetStatus(http.StatusOK)
			if _, err := io.Copy(hc.BodyWriter(), f); err != nil {
				a.log.WarnContext(ctx, "sending archive", "archive", arch.ID, "err", err)
			}
		}}, nil
}

func (a *API) runRetention(ctx context.Context, _ *struct{}) (*RunRetentionOutput, error) {
	res, err := a.archiver.Run(ctx, callerOf(ctx).actor(), retention.Options{})
	if err != nil {
		return nil, err
	}
	out := &RunRetentionOutput{}
	out.Body.Cutoff, out.Body.More = utc(res.Cutoff), res.More
	if res.Archive != nil {
		j := archiveJSON(*res.Archive)
		out.Body.Archive = &j
	}
	return out, nil
}
