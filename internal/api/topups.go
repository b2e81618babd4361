package api

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"coffer/internal/auth"
	"coffer/internal/ledger"
	"coffer/internal/money"
	"coffer/internal/store"
	"coffer/internal/voucher"
)

type VoucherJSON struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	URL         string    `json:"url"`
	CreatedAt   time.Time `json:"created_at"`
}

type TopUpJSON struct {
	ID             string        `json:"id"`
	Number         string        `json:"number" doc:"Recharge number."`
	CustomerID     string        `json:"customer_id"`
	AccountID      string        `json:"account_id"`
	Currency       string        `json:"currency"`
	Amount         string        `json:"amount"`
	PaymentMethod  string        `json:"payment_method" doc:"The payment method's id."`
	PaymentAccount string        `json:"payment_account"`
	TransactionNo  string        `json:"transaction_no"`
	Remark         string        `json:"remark"`
	PaymentStatus  string        `json:"payment_status" enum:"paid,unpaid"`
	PaidAt         *time.Time    `json:"paid_at"`
	Status         string        `json:"status" enum:"pending,approved,rejected,cancelled"`
	ActualAmount   *string       `json:"actual_amount"`
	ExchangeRate   *string       `json:"exchange_rate"`
	ReviewRemark   string        `json:"review_remark"`
	ReviewedBy     *string       `json:"reviewed_by"`
	ReviewedAt     *time.Time    `json:"reviewed_at"`
	TransactionID  *string       `json:"transaction_id" doc:"The posting, once approved."`
	Vouchers       []VoucherJSON `json:"vouchers"`
	CreatedBy      string        `json:"created_by"`
	CreatedAt      time.Time     `json:"created_at"`
	Version        int64         `json:"version" doc:"Grows with every change of the request: a correction, a voucher, a decision. Send it with approve or reject to have the decision refused (stale_version) if the request changed since you saw it."`
}

func topupJSON(t ledger.TopUpRequest) TopUpJSON {
	cur, _ := money.LookupCurrency(t.Currency)
	j := TopUpJSON{ID: idString(t.ID), Number: t.Number(), CustomerID: idString(t.CustomerID), AccountID: idString(t.AccountID),
		Currency: t.Currency, Amount: fmtAmount(t.Amount, cur), PaymentMethod: idString(t.PaymentMethodID), PaymentAccount: t.PaymentAccount,
		TransactionNo: t.TransactionNo, Remark: t.Remark, PaymentStatus: t.PaymentStatus, PaidAt: optTime(t.PaidAt), Status: string(t.Status),
		ReviewRemark: t.ReviewRemark, ReviewedBy: optID(t.ReviewedBy), ReviewedAt: optTime(t.ReviewedAt), TransactionID: optID(t.TransactionID),
		CreatedBy: idString(t.CreatedBy), CreatedAt: utc(t.CreatedAt), Vouchers: []VoucherJSON{}, Version: t.Version}
	if t.ActualAmount != nil {
		s := fmtAmount(*t.ActualAmount, cur)
		j.ActualAmount = &s
	}
	if t.ExchangeRate != "" {
		r := t.ExchangeRate
		j.ExchangeRate = &r
	}
	for _, v := range t.Vouchers {
		j.Vouchers = append(j.Vouchers, VoucherJSON{ID: idString(v.ID), ContentType: v.ContentType, Size: v.Size, SHA256: v.SHA256,
			URL: prefix + "/vouchers/" + idString(v.ID), CreatedAt: utc(v.CreatedAt)})
	}
	return j
}

type TopUpOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed"`
	Body     TopUpJSON
}

func topupOut(r store.TopUpResult, status int) *TopUpOutput {
	out := &TopUpOutput{Status: status, Body: topupJSON(r.TopUp)}
	if r.Replayed {
		out.Replayed = "true"
	}
	return out
}

type TopUpFieldsJSON struct {
	Amount         string     `json:"amount"`
	PaymentMethod  string     `json:"payment_method" doc:"A payment method's id; it must be enabled."`
	PaymentAccount string     `json:"payment_account,omitempty"`
	TransactionNo  string     `json:"transaction_no,omitempty"`
	Remark         string     `json:"remark,omitempty"`
	PaymentStatus  string     `json:"payment_status,omitempty" enum:"paid,unpaid" doc:"Default unpaid."`
	PaidAt         *time.Time `json:"paid_at,omitempty"`
}

type CreateTopUpInput struct {
	IdempotencyHeader
	Body struct {
		CustomerID string `json:"customer_id"`
		Currency   string `json:"currency"`
		TopUpFieldsJSON
		Direct bool `json:"direct,omitempty" doc:"Post at once without review: super admins, while the direct_topup setting is on."`
	}
}

type PatchTopUpInput struct {
	ID   string `path:"id"`
	Body struct {
		Amount         *string    `json:"amount,omitempty"`
		PaymentMethod  *string    `json:"payment_method,omitempty"`
		PaymentAccount *string    `json:"payment_account,omitempty"`
		TransactionNo  *string    `json:"transaction_no,omitempty"`
		Remark         *string    `json:"remark,omitempty"`
		PaymentStatus  *string    `json:"payment_status,omitempty" enum:"paid,unpaid"`
		PaidAt         *time.Time `json:"paid_at,omitempty"`
	}
}

type TopUpIDInput struct {
	ID string `path:"id"`
}

type ApproveInput struct {
	IdempotencyHeader
	ID   string `path:"id"`
	Body struct {
		ActualAmount string `json:"actual_amount,omitempty" doc:"What was really received; default the requested amount (of version, when given)."`
		ExchangeRate string `json:"exchange_rate,omitempty" doc:"Positive decimal, kept exactly as given; default 1."`
		Remark       string `json:"remark,omitempty"`
		Version      *int64 `json:"version,omitempty" doc:"The request's version the decision was made on; if it is no longer current, nothing changes and the answer is 409 stale_version."`
	}
}

type RejectInput struct {
	IdempotencyHeader
	ID   string `path:"id"`
	Body struct {
		Remark  string `json:"remark,omitempty"`
		Version *int64 `json:"version,omitempty" doc:"The request's version the decision was made on; if it is no longer current, nothing changes and the answer is 409 stale_version."`
	}
}

type CancelInput struct {
	IdempotencyHeader
	ID string `path:"id"`
}

type ListTopUpsInput struct {
	Page
	Status        string `query:"status" enum:"pending,approved,rejected,cancelled,"`
	PaymentMethod string `query:"payment_method"`
	CustomerID    string `query:"customer_id"`
	AccountID     string `query:"account_id"`
	From          string `query:"from"`
	To            string `query:"to"`
}

type TopUpsOutput struct{ Body List[TopUpJSON] }

type VoucherUploadInput struct {
	ID      string `path:"id"`
	RawBody multipart.Form
}

type VoucherOutput struct{ Body VoucherJSON }

type VoucherIDInput struct {
	ID string `path:"id"`
}

type VoucherFileOutput struct {
	ContentType string `header:"Content-Type"`
	NoSniff     string `header:"X-Content-Type-Options"`
	CSP         string `header:"Content-Security-Policy"`
	Cache       string `header:"Cache-Control"`
	Body        []byte
}

type PaymentMethodJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

type PaymentMethodsOutput struct{ Body List[PaymentMethodJSON] }

type PaymentMethodOutput struct{ Body PaymentMethodJSON }

type NewPaymentMethodInput struct {
	Body struct {
		Name    string `json:"name"`
		Enabled *bool  `json:"enabled,omitempty" doc:"Default true."`
	}
}

type PatchPaymentMethodInput struct {
	ID   string `path:"id"`
	Body struct {
		Name    *string `json:"name,omitempty"`
		Enabled *bool   `json:"enabled,omitempty"`
	}
}

func methodJSON(m store.PaymentMethod) PaymentMethodJSON {
	return PaymentMethodJSON{ID: idString(m.ID), Name: m.Name, Enabled: m.Enabled}
}

// topupFields reads the fields of a top-up request in the account's currency.
func topupFields(b TopUpFieldsJSON, cur money.Currency) (ledger.TopUpFields, error) {
	f := ledger.TopUpFields{PaymentAccount: b.PaymentAccount, TransactionNo: b.TransactionNo, Remark: b.Remark,
		PaymentStatus: b.PaymentStatus, PaidAt: b.PaidAt}
	if f.PaymentStatus == "" {
		f.PaymentStatus = "unpaid"
	}
	var problems []ledger.FieldProblem
	var err error
	if f.Amount, err = positiveAmount("amount", b.Amount, cur); err != nil {
		problems = append(problems, err.(*ledger.ValidationError).Problems...)
	}
	if f.PaymentMethodID, err = parseOptID(b.PaymentMethod, "payment_method"); err != nil {
		problems = append(problems, err.(*ledger.ValidationError).Problems...)
	}
	if problems != nil {
		return f, &ledger.ValidationError{Problems: problems}
	}
	return f, nil
}

func (a *API) registerTopUps() {
	tags := []string{"top-ups"}
	register(a, huma.Operation{OperationID: "list-topups", Method: http.MethodGet, Path: "/topups", Tags: tags,
		Summary: "Recharge records, newest first", Description: "Filter by status, payment method, customer, account and date range. Accept: text/csv exports them."}, auth.ActView,
		func(ctx context.Context, in *ListTopUpsInput) (*TopUpsOutput, error) {
			f := store.TopUpFilter{Status: ledger.TopUpStatus(in.Status)}
			var err error
			if f.Limit, err = in.limit(); err != nil {
				return nil, err
			}
			if f.BeforeID, err = idCursor(in.Cursor); err != nil {
				return nil, err
			}
			if f.PaymentMethodID, err = parseOptID(in.PaymentMethod, "payment_method"); err != nil {
				return nil, err
			}
			if f.CustomerID, err = parseOptID(in.CustomerID, "customer_id"); err != nil {
				return nil, err
			}
			if f.AccountID, err = parseOptID(in.AccountID, "account_id"); err != nil {
				return nil, err
			}
			if f.From, f.To, err = a.period(ctx, "from", in.From, "to", in.To); err != nil {
				return nil, err
			}
			ts, err := a.store.TopUpRequests(ctx, f)
			if err != nil {
				return nil, err
			}
			return &TopUpsOutput{Body: pageOf(ts, f.Limit, topupJSON, func() int64 { return ts[len(ts)-1].ID })}, nil
		})

	register(a, huma.Operation{OperationID: "create-topup", Method: http.MethodPost, Path: "/topups", Tags: tags,
		Summary:     "Submit a top-up request for review",
		Description: "Opens the customer's account in the currency if needed. The balance changes only when the request is approved."}, auth.ActOperate,
		func(ctx context.Context, in *CreateTopUpInput) (*TopUpOutput, error) {
			c := callerOf(ctx)
			b := in.Body
			var problems []ledger.FieldProblem
			cid, err := parseOptID(b.CustomerID, "customer_id")
			if err != nil {
				problems = append(problems, err.(*ledger.ValidationError).Problems...)
			} else if cid == 0 {
				problems = append(problems, ledger.FieldProblem{Field: "customer_id", Message: "is required"})
			}
			cur, err := currency("currency", b.Currency)
			if err != nil {
				return nil, err
			}
			f, err := topupFields(b.TopUpFieldsJSON, cur)
			if err != nil {
				problems = append(problems, err.(*ledger.ValidationError).Problems...)
			}
			if problems != nil {
				return nil, &ledger.ValidationError{Problems: problems}
			}
			if b.Direct && !auth.Can(c.Role(), auth.ActDirectTopUp) {
				return nil, forbidden("only a super admin may post a top-up without review")
			}
			r, err := a.store.SubmitTopUp(ctx, c.actor(), store.NewTopUp{CustomerID: cid, Currency: b.Currency, TopUpFields: f, Direct: b.Direct},
				ledger.Idempotency{Scope: c.actor().IdempotencyScope(), Key: in.Key})
			if err != nil {
				return nil, err
			}
			return topupOut(r, http.StatusCreated), nil
		})

	register(a, huma.Operation{OperationID: "get-topup", Method: http.MethodGet, Path: "/topups/{id}", Tags: tags,
		Summary: "One top-up request"}, auth.ActView,
		func(ctx context.Context, in *TopUpIDInput) (*TopUpOutput, error) {
			id, err := parseID(in.ID, "top-up request")
			if err != nil {
				return nil, err
			}
			t, err := a.store.TopUpRequest(ctx, id)
			return &TopUpOutput{Status: 200, Body: topupJSON(t)}, err
		})

	register(a, huma.Operation{OperationID: "update-topup", Method: http.MethodPatch, Path: "/topups/{id}", Tags: tags,
		Summary: "Correct a pending top-up request", Description: "Only its submitter, and only while it is pending (not_pending)."}, auth.ActOperate,
		func(ctx context.Context, in *PatchTopUpInput) (*TopUpOutput, error) {
			id, err := parseID(in.ID, "top-up request")
			if err != nil {
				return nil, err
			}
			t, err := a.store.TopUpRequest(ctx, id)
			if err != nil {
				return nil, err
			}
			cur, _ := money.LookupCurrency(t.Currency)
			b := in.Body
			var amount, method int64
			if b.Amount != nil {
				if amount, err = positiveAmount("amount", *b.Amount, cur); err != nil {
					return nil, err
				}
			}
			if b.PaymentMethod != nil {
				if method, err = parseOptID(*b.PaymentMethod, "payment_method"); err != nil {
					return nil, err
				}
			}
			t, err = a.store.UpdateTopUp(ctx, callerOf(ctx).actor(), id, func(f *ledger.TopUpFields) {
				if b.Amount != nil {
					f.Amount = amount
				}
				if b.PaymentMethod != nil {
					f.PaymentMethodID = method
				}
				for _, x := range []struct {
					v   *string
					dst *string
				}{{b.PaymentAccount, &f.PaymentAccount}, {b.TransactionNo, &f.TransactionNo}, {b.Remark, &f.Remark}, {b.PaymentStatus, &f.PaymentStatus}} {
					if x.v != nil {
						*x.dst = *x.v
					}
				}
				if b.PaidAt != nil {
					f.PaidAt = b.PaidAt
				}
			})
			return &TopUpOutput{Status: 200, Body: topupJSON(t)}, err
		})

	register(a, huma.Operation{OperationID: "approve-topup", Method: http.MethodPost, Path: "/topups/{id}/approve", Tags: tags,
		Summary:       "Approve a top-up request and post it",
		Description:   "Posts actual_amount (default amount) to the account in the same transaction. Nobody approves their own request (self_approval). With version, a request changed since is refused (stale_version) and nothing changes.",
		DefaultStatus: http.StatusOK}, auth.ActReview,
		func(ctx context.Context, in *ApproveInput) (*TopUpOutput, error) {
			c := callerOf(ctx)
			id, err := parseID(in.ID, "top-up request")
			if err != nil {
				return nil, err
			}
			t, err := a.store.TopUpRequest(ctx, id)
			if err != nil {
				return nil, err
			}
			var actual *int64
			if in.Body.ActualAmount != "" {
				cur, _ := money.LookupCurrency(t.Currency)
				v, err := positiveAmount("actual_amount", in.Body.ActualAmount, cur)
				if err != nil {
					return nil, err
				}
				actual = &v
			}
			r, err := a.store.ReviewTopUp(ctx, c.actor(), id, store.TopUpDecision{Approve: true, Version: in.Body.Version, ActualAmount: actual,
				ExchangeRate: in.Body.ExchangeRate, Remark: in.Body.Remark}, ledger.Idempotency{Scope: c.actor().IdempotencyScope(), Key: in.Key})
			if err != nil {
				return nil, err
			}
			if !r.Replayed {
				a.metrics.posted(string(ledger.TxTopUp))
			}
			return topupOut(r, http.StatusOK), nil
		})

	register(a, huma.Operation{OperationID: "reject-topup", Method: http.MethodPost, Path: "/topups/{id}/reject", Tags: tags,
		Summary: "Reject a top-up request", DefaultStatus: http.StatusOK}, auth.ActReview,
		func(ctx context.Context, in *RejectInput) (*TopUpOutput, error) {
			c := callerOf(ctx)
			id, err := parseID(in.ID, "top-up request")
			if err != nil {
				return nil, err
			}
			r, err := a.store.ReviewTopUp(ctx, c.actor(), id, store.TopUpDecision{Version: in.Body.Version, Remark: in.Body.Remark},
				ledger.Idempotency{Scope: c.actor().IdempotencyScope(), Key: in.Key})
			if err != nil {
				return nil, err
			}
			return topupOut(r, http.StatusOK), nil
		})

	register(a, huma.Operation{OperationID: "cancel-topup", Method: http.MethodPost, Path: "/topups/{id}/cancel", Tags: tags,
		Summary: "Withdraw your own pending top-up request", DefaultStatus: http.StatusOK}, auth.ActOperate,
		func(ctx context.Context, in *CancelInput) (*TopUpOutput, error) {
			c := callerOf(ctx)
			id, err := parseID(in.ID, "top-up request")
			if err != nil {
				return nil, err
			}
			r, err := a.store.CancelTopUp(ctx, c.actor(), id, ledger.Idempotency{Scope: c.actor().IdempotencyScope(), Key: in.Key})
			if err != nil {
				return nil, err
			}
			return topupOut(r, http.StatusOK), nil
		})

	register(a, huma.Operation{OperationID: "upload-voucher", Method: http.MethodPost, Path: "/topups/{id}/vouchers", Tags: tags,
		Summary:     "Attach a voucher image to your pending top-up request",
		Description: "multipart/form-data with one part named file: a PNG or JPEG of at most 2 MB, judged by its content, not its name."}, auth.ActOperate,
		func(ctx context.Context, in *VoucherUploadInput) (*VoucherOutput, error) {
			id, err := parseID(in.ID, "top-up request")
			if err != nil {
				return nil, err
			}
			files := in.RawBody.File["file"]
			if len(files) != 1 {
				return nil, invalid("file", "send exactly one file in a part named file")
			}
			fh := files[0]
			if fh.Size > voucher.MaxBytes {
				return nil, ledger.ErrTooLarge.With("a voucher may be at most 2 MB")
			}
			f, err := fh.Open()
			if err != nil {
				return nil, err
			}
			defer f.Close()
			data, err := io.ReadAll(io.LimitReader(f, voucher.MaxBytes+1))
			if err != nil {
				return nil, err
			}
			if len(data) > voucher.MaxBytes {
				return nil, ledger.ErrTooLarge.With("a voucher may be at most 2 MB")
			}
			ct, err := voucher.Sniff(data)
			if err != nil {
				return nil, ledger.ErrUnsupportedMedia.With("vouchers must be PNG or JPEG images: " + err.Error())
			}
			v, err := a.store.AddVoucher(ctx, callerOf(ctx).actor(), id, ct, data)
			if err != nil {
				return nil, err
			}
			return &VoucherOutput{Body: VoucherJSON{ID: idString(v.ID), ContentType: v.ContentType, Size: v.Size, SHA256: v.SHA256,
				URL: prefix + "/vouchers/" + idString(v.ID), CreatedAt: utc(v.CreatedAt)}}, nil
		})

	register(a, huma.Operation{OperationID: "get-voucher", Method: http.MethodGet, Path: "/vouchers/{id}", Tags: tags,
		Summary: "A voucher image", Description: "Served with its stored image type, nosniff and a sandboxing Content-Security-Policy.",
		Responses: map[string]*huma.Response{"200": {Description: "The image", Content: map[string]*huma.MediaType{
			"image/png": {Schema: &huma.Schema{Type: "string", Format: "binary"}}, "image/jpeg": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}}}, auth.ActView,
		func(ctx context.Context, in *VoucherIDInput) (*VoucherFileOutput, error) {
			id, err := parseID(in.ID, "voucher")
			if err != nil {
				return nil, err
			}
			ct, data, err := a.store.VoucherData(ctx, id)
			if err != nil {
				return nil, err
			}
			return &VoucherFileOutput{ContentType: ct, NoSniff: "nosniff", CSP: "default-src 'none'; sandbox", Cache: "private, max-age=3600", Body: data}, nil
		})

	register(a, huma.Operation{OperationID: "list-payment-methods", Method: http.MethodGet, Path: "/payment-methods", Tags: tags,
		Summary: "Payment methods, disabled ones too"}, auth.ActView,
		func(ctx context.Context, in *Page) (*PaymentMethodsOutput, error) {
			ms, err := a.store.PaymentMethods(ctx)
			if err != nil {
				return nil, err
			}
			l, err := pageOfAll(ms, *in, func(m store.PaymentMethod) int64 { return m.ID }, methodJSON)
			return &PaymentMethodsOutput{Body: l}, err
		})

	register(a, huma.Operation{OperationID: "create-payment-method", Method: http.MethodPost, Path: "/payment-methods", Tags: tags,
		Summary: "Add a payment method"}, auth.ActSystem,
		func(ctx context.Context, in *NewPaymentMethodInput) (*PaymentMethodOutput, error) {
			enabled := in.Body.Enabled == nil || *in.Body.Enabled
			m, err := a.store.AddPaymentMethod(ctx, callerOf(ctx).actor(), in.Body.Name, enabled)
			return &PaymentMethodOutput{Body: methodJSON(m)}, err
		})

	register(a, huma.Operation{OperationID: "update-payment-method", Method: http.MethodPatch, Path: "/payment-methods/{id}", Tags: tags,
		Summary: "Rename, enable or disable a payment method", Description: "A disabled method cannot be chosen for new requests; requests that chose it keep it."}, auth.ActSystem,
		func(ctx context.Context, in *PatchPaymentMethodInput) (*PaymentMethodOutput, error) {
			id, err := parseID(in.ID, "payment method")
			if err != nil {
				return nil, err
			}
			m, err := a.store.UpdatePaymentMethod(ctx, callerOf(ctx).actor(), id, in.Body.Name, in.Body.Enabled)
			return &PaymentMethodOutput{Body: methodJSON(m)}, err
		})
}
