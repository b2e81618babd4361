package api

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/voucher"
)

// Vouchers: the images of payment that a submitter attaches to a pending
// top-up request for the reviewer to see.

// VoucherJSON is a voucher image attached to a top-up request: a receipt or
// a screenshot of the payment.
type VoucherJSON struct {
	ID          string    `json:"id" example:"42"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	URL         string    `json:"url" example:"https://erp.example.com/coffer/events"`
	CreatedAt   time.Time `json:"created_at"`
}

func voucherJSON(v ledger.Voucher) VoucherJSON {
	return VoucherJSON{ID: idString(v.ID), ContentType: v.ContentType, Size: v.Size, SHA256: v.SHA256,
		URL: prefix + "/vouchers/" + idString(v.ID), CreatedAt: utc(v.CreatedAt)}
}

// VoucherUploadInput is a multipart upload of one voucher image to a
// request.
type VoucherUploadInput struct {
	ID      string `path:"id"`
	RawBody multipart.Form
}

// VoucherOutput is the voucher an upload attached.
type VoucherOutput struct{ Body VoucherJSON }

// VoucherIDInput names one voucher.
type VoucherIDInput struct {
	ID string `path:"id"`
}

// VoucherFileOutput is a voucher's image with headers that keep a browser
// from running anything in it.
type VoucherFileOutput struct {
	ContentType string `header:"Content-Type"`
	NoSniff     string `header:"X-Content-Type-Options"`
	CSP         string `header:"Content-Security-Policy"`
	Cache       string `header:"Cache-Control"`
	Body        []byte
}

func (a *API) registerVouchers() {
	tags := []string{"top-ups"}
	register(a, huma.Operation{OperationID: "upload-voucher", Method: http.MethodPost, Path: "/topups/{id}/vouchers", Tags: tags,
		Summary:     "Attach a voucher image to your pending top-up request",
		Description: "multipart/form-data with one part named file: a PNG or JPEG of at most 2 MB, judged by its content, not its name."}, auth.ActOperate,
		a.uploadVoucher)
	register(a, huma.Operation{OperationID: "get-voucher", Method: http.MethodGet, Path: "/vouchers/{id}", Tags: tags,
		Summary: "A voucher image", Description: "Served with its stored image type, nosniff and a sandboxing Content-Security-Policy.",
		Responses: map[string]*huma.Response{"200": {Description: "The image", Content: map[string]*huma.MediaType{
			"image/png": {Schema: &huma.Schema{Type: "string", Format: "binary"}}, "image/jpeg": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}}}, auth.ActView,
		a.getVoucher)
}

func (a *API) uploadVoucher(ctx context.Context, in *VoucherUploadInput) (*VoucherOutput, error) {
	id, err := parseID(in.ID, "top-up request")
	if err != nil {
		return nil, err
	}
	ct, data, err := voucherImage(&in.RawBody)
	if err != nil {
		return nil, err
	}
	v, err := a.store.AddVoucher(ctx, callerOf(ctx).actor(), id, ct, data)
	if err != nil {
		return nil, err
	}
	return &VoucherOutput{Body: voucherJSON(v)}, nil
}

// voucherImage reads the one part named file of an upload and judges its
// image type by its bytes, whatever its name or declared type say.
func voucherImage(form *multipart.Form) (contentType string, data []byte, err error) {
	files := form.File["file"]
	if len(files) != 1 {
		return "", nil, invalid("file", "send exactly one file in a part named file")
	}
	tooLarge := ledger.ErrTooLarge.With("a voucher may be at most 2 MB")
	fh := files[0]
	if fh.Size > voucher.MaxBytes {
		return "", nil, tooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	// One byte more than allowed tells a part larger than its header said.
	data, err = io.ReadAll(io.LimitReader(f, voucher.MaxBytes+1))
	if err != nil {
		return "", nil, err
	}
	if len(data) > voucher.MaxBytes {
		return "", nil, tooLarge
	}
	ct, err := voucher.Sniff(data)
	if err != nil {
		return "", nil, ledger.ErrUnsupportedMedia.With("vouchers must be PNG or JPEG images: " + err.Error())
	}
	return ct, data, nil
}

func (a *API) getVoucher(ctx context.Context, in *VoucherIDInput) (*VoucherFileOutput, error) {
	id, err := parseID(in.ID, "voucher")
	if err != nil {
		return nil, err
	}
	ct, data, err := a.store.VoucherData(ctx, id)
	if err != nil {
		return nil, err
	}
	return &VoucherFileOutput{ContentType: ct, NoSniff: "nosniff", CSP: "default-src 'none'; sandbox", Cache: "private, max-age=3600", Body: data}, nil
}
