package retention

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// ArchiveFormat is the format name in an archive file's header line.
const ArchiveFormat = "coffer-archive/1"

// ArchiveHeader is the first line of an archive file.
type ArchiveHeader struct {
	Format       string    `json:"format"`
	Holds        string    `json:"holds"`
	CreatedAt    time.Time `json:"created_at"`
	Cutoff       time.Time `json:"cutoff"`
	AuditRecords int64     `json:"audit_records"`
	// The archived records continue the chain after place AuditFirstSeq-1,
	// whose hash is AuditPrevHash; the chain in the database now starts
	// after AuditLastSeq.
	AuditFirstSeq int64  `json:"audit_first_seq"`
	AuditLastSeq  int64  `json:"audit_last_seq"`
	AuditPrevHash string `json:"audit_prev_hash"`
	Entries       int64  `json:"entries"`
	Transactions  int64  `json:"transactions"`
}

// ArchivedRecord is an operation record's line: every column of audit_log
// as stored, so that its hash can be computed again from the file.
type ArchivedRecord struct {
	Table      string    `json:"table"` // "audit_log"
	ID         int64     `json:"id"`
	Seq        int64     `json:"seq"`
	CreatedAt  time.Time `json:"created_at"`
	ActorID    *int64    `json:"actor_id"`
	TokenID    *int64    `json:"token_id"`
	ActorName  string    `json:"actor_name"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	BeforeJSON string    `json:"before_json"`
	AfterJSON  string    `json:"after_json"`
	ClientAddr string    `json:"client_addr"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

// ArchivedEntry is a ledger entry's line: every column of entries. Amounts
// are minor units of the account's currency.
type ArchivedEntry struct {
	Table         string    `json:"table"` // "entries"
	ID            int64     `json:"id"`
	TransactionID int64     `json:"transaction_id"`
	AccountID     int64     `json:"account_id"`
	Amount        int64     `json:"amount"`
	BalanceAfter  *int64    `json:"balance_after"`
	CreatedAt     time.Time `json:"created_at"`
	Part          string    `json:"part,omitempty"` // "bonus" on promotional credit; principal is left out
}

func recordLine(r store.AuditRecord) ArchivedRecord {
	line := ArchivedRecord{Table: "audit_log", ID: r.ID, Seq: r.Seq, CreatedAt: r.CreatedAt, ActorName: r.ActorName, Action: r.Action,
		ObjectType: r.ObjectType, ObjectID: r.ObjectID, BeforeJSON: r.Before, AfterJSON: r.After, ClientAddr: r.ClientAddr,
		PrevHash: r.PrevHash, Hash: r.Hash}
	// A missing actor or token is null in the file, as in the database.
	if r.ActorID != 0 {
		line.ActorID = &r.ActorID
	}
	if r.TokenID != 0 {
		line.TokenID = &r.TokenID
	}
	return line
}

func entryLine(e ledger.Entry) ArchivedEntry {
	line := ArchivedEntry{Table: "entries", ID: e.ID, TransactionID: e.TransactionID, AccountID: e.AccountID, Amount: e.Amount,
		BalanceAfter: e.BalanceAfter, CreatedAt: e.CreatedAt}
	if e.Part == ledger.PartBonus {
		line.Part = string(e.Part)
	}
	return line
}

func header(now time.Time, b *store.RetentionBatch) ArchiveHeader {
	return ArchiveHeader{Format: ArchiveFormat,
		Holds:     "Coffer operation records (audit_log) and ledger entries (entries) older than the cutoff, removed from the database by retention",
		CreatedAt: now, Cutoff: b.Cutoff, AuditRecords: b.AuditRecords, AuditFirstSeq: b.AuditFirstSeq, AuditLastSeq: b.AuditLastSeq,
		AuditPrevHash: b.AuditPrevHash, Entries: int64(len(b.Entries)), Transactions: b.Transactions}
}

// archiveFile is a written, synced archive file.
type archiveFile struct {
	name, path string
	size       int64
	sha256     string
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// writeArchive writes the batch to a new file in dir: a header line, the
// operation records in place order, then the entries in id order. A record
// that does not fit the chain (the store checks each on the way) stops the
// run. On error nothing is left behind; on success the file and its
// directory entry are on disk.
func writeArchive(dir string, now time.Time, b *store.RetentionBatch, records iter.Seq2[store.AuditRecord, error]) (_ *archiveFile, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, name, err := createArchiveFile(dir, now)
	if err != nil {
		return nil, err
	}
	out := &archiveFile{name: name, path: filepath.Join(dir, name)}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(out.path)
		}
	}()
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	gz := gzip.NewWriter(cw)
	if err := writeLines(gz, header(now, b), b, records); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	// The file must be on disk before the rows leave the database.
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	out.size, out.sha256 = cw.n, hex.EncodeToString(h.Sum(nil))
	return out, nil
}

// writeLines encodes the header, the records and the entries, one JSON
// value per line.
func writeLines(w io.Writer, hdr ArchiveHeader, b *store.RetentionBatch, records iter.Seq2[store.AuditRecord, error]) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(hdr); err != nil {
		return err
	}
	for r, err := range records {
		if err != nil {
			return err
		}
		if err := enc.Encode(recordLine(r)); err != nil {
			return err
		}
	}
	for _, e := range b.Entries {
		if err := enc.Encode(entryLine(e)); err != nil {
			return err
		}
	}
	return nil
}

// createArchiveFile creates a new file named after the run's time; a second
// run within the same microsecond gets a numbered name rather than
// overwriting the first's file.
func createArchiveFile(dir string, now time.Time) (*os.File, string, error) {
	base := "coffer-archive-" + now.UTC().Format("20060102T150405.000000Z")
	for i := 1; ; i++ {
		name := base + ".jsonl.gz"
		if i > 1 {
			name = base + "-" + strconv.Itoa(i) + ".jsonl.gz"
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) && i < 1000 {
			continue
		}
		return f, name, err
	}
}

// syncDir fsyncs a directory, so that a file created or removed in it stays
// so after a power cut.
func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Open opens an archive's file for reading after checking it against the
// size and SHA-256 recorded when it was written: a file that was changed or
// replaced since is ledger.ErrArchiveAltered, a missing one
// ledger.ErrArchiveMissing, not served.
func (a *Archiver) Open(ctx context.Context, id int64) (store.Archive, *os.File, error) {
	arch, err := a.store.Archive(ctx, id)
	if err != nil {
		return arch, nil, err
	}
	if a.dir == "" {
		return arch, nil, ledger.ErrNoArchiveDir
	}
	// The name comes from the database; it must not lead out of the directory.
	if arch.FileName != filepath.Base(arch.FileName) || strings.HasPrefix(arch.FileName, ".") {
		return arch, nil, ledger.ErrArchiveAltered
	}
	f, err := os.Open(filepath.Join(a.dir, arch.FileName))
	if errors.Is(err, os.ErrNotExist) {
		return arch, nil, ledger.ErrArchiveMissing
	}
	if err != nil {
		return arch, nil, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil && (n != arch.Size || hex.EncodeToString(h.Sum(nil)) != arch.SHA256) {
		err = ledger.ErrArchiveAltered
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return arch, nil, err
	}
	return arch, f, nil
}
