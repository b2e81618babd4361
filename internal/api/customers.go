package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// CustomerJSON is a customer: the person or business whose prepaid money
// Coffer holds.
type CustomerJSON struct {
	ID              string     `json:"id" example:"42"`
	Name            string     `json:"name"`
	Phone           string     `json:"phone" example:"+8613800138000"`
	Email           string     `json:"email" example:"accounts@mingde.example"`
	Company         string     `json:"company" example:"Shanghai Mingde Trading Co."`
	Remark          string     `json:"remark" example:"Pays on the 1st of each month"`
	DefaultCurrency string     `json:"default_currency" example:"CNY"`
	Locale          string     `json:"locale" enum:"en,zh-CN" doc:"The language of the customer's mail and statements." example:"zh-CN"`
	Notify          NotifyJSON `json:"notify" doc:"Which mail the customer gets; none goes out without an email address."`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	ArchivedAt      *time.Time `json:"archived_at"`
}

func customerJSON(c ledger.Customer) CustomerJSON {
	return CustomerJSON{ID: idString(c.ID), Name: c.Name, Phone: c.Phone, Email: c.Email, Company: c.Company, Remark: c.Remark,
		DefaultCurrency: c.DefaultCurrency, Locale: c.Locale, Notify: NotifyJSON(c.Notify),
		CreatedAt: utc(c.CreatedAt), UpdatedAt: utc(c.UpdatedAt), ArchivedAt: optTime(c.ArchivedAt)}
}

// NotifyJSON is which notifications a customer gets by email (SPEC 10).
type NotifyJSON struct {
	LowBalance bool `json:"low_balance" doc:"The balance fell below the account's alert amount, and came back."`
	TopUp      bool `json:"topup" doc:"A top-up was approved or rejected."`
	Adjustment bool `json:"adjustment" doc:"Staff adjusted the balance; the mail carries the note."`
	Statement  bool `json:"statement" doc:"Last month's statement, on the first of the month."`
}

// NotifyPatch changes the toggles it gives.
type NotifyPatch struct {
	LowBalance *bool `json:"low_balance,omitempty"`
	TopUp      *bool `json:"topup,omitempty"`
	Adjustment *bool `json:"adjustment,omitempty"`
	Statement  *bool `json:"statement,omitempty"`
}

// apply sets the toggles p gives on n.
func (p *NotifyPatch) apply(n *ledger.Notify) {
	if p == nil {
		return
	}
	setGiven(&n.LowBalance, p.LowBalance)
	setGiven(&n.TopUp, p.TopUp)
	setGiven(&n.Adjustment, p.Adjustment)
	setGiven(&n.Statement, p.Statement)
}

// CustomerFields are the fields a client sets; lengths are checked by the
// domain, which says which field is wrong.
type CustomerFields struct {
	Name            string       `json:"name"`
	Phone           string       `json:"phone,omitempty" doc:"Normalised: spaces, hyphens, dots and parentheses dropped, a leading + kept; 5 to 20 digits." example:"+8613800138000"`
	Email           string       `json:"email,omitempty" example:"accounts@mingde.example"`
	Company         string       `json:"company,omitempty" example:"Shanghai Mingde Trading Co."`
	Remark          string       `json:"remark,omitempty" example:"Pays on the 1st of each month"`
	DefaultCurrency string       `json:"default_currency,omitempty" doc:"If set, the customer's account in this currency is opened at once." example:"CNY"`
	Locale          string       `json:"locale,omitempty" enum:"en,zh-CN" doc:"The language of their mail and statements; default en." example:"zh-CN"`
	Notify          *NotifyPatch `json:"notify,omitempty" doc:"Toggles left out are on."`
}

// newCustomer is the domain's form of f: toggles it leaves out are on.
func (f CustomerFields) newCustomer() ledger.NewCustomer {
	n := ledger.AllNotify
	f.Notify.apply(&n)
	return ledger.NewCustomer{Name: f.Name, Phone: f.Phone, Email: f.Email, Company: f.Company, Remark: f.Remark,
		DefaultCurrency: f.DefaultCurrency, Locale: f.Locale, Notify: &n}
}

// CustomerOutput is one customer.
type CustomerOutput struct{ Body CustomerJSON }

// CustomerIDInput names one customer.
type CustomerIDInput struct {
	ID string `path:"id"`
}

// CreateCustomerInput is a new customer.
type CreateCustomerInput struct{ Body CustomerFields }

// PatchCustomerInput changes the fields it gives of one customer.
type PatchCustomerInput struct {
	ID   string `path:"id"`
	Body struct {
		Name            *string      `json:"name,omitempty"`
		Phone           *string      `json:"phone,omitempty" example:"+8613800138000"`
		Email           *string      `json:"email,omitempty" example:"accounts@mingde.example"`
		Company         *string      `json:"company,omitempty" example:"Shanghai Mingde Trading Co."`
		Remark          *string      `json:"remark,omitempty" example:"Pays on the 1st of each month"`
		DefaultCurrency *string      `json:"default_currency,omitempty" example:"CNY"`
		Locale          *string      `json:"locale,omitempty" enum:"en,zh-CN" example:"zh-CN"`
		Notify          *NotifyPatch `json:"notify,omitempty" doc:"Toggles left out keep their value."`
	}
}

// ListCustomersInput finds customers; its filters combine.
type ListCustomersInput struct {
	Page
	Phone    string `query:"phone" doc:"Part of the phone number."`
	Name     string `query:"name" doc:"Part of the name, any case."`
	Email    string `query:"email" doc:"Part of the email address."`
	Q        string `query:"q" doc:"Part of the name, phone, email or company."`
	Archived bool   `query:"archived" doc:"List archived (deleted) customers instead."`
}

// CustomersOutput is a page of customers, newest first.
type CustomersOutput struct{ Body List[CustomerJSON] }

func (a *API) registerCustomers() {
	tags := []string{"customers"}
	register(a, huma.Operation{OperationID: "list-customers", Method: http.MethodGet, Path: "/customers", Tags: tags,
		Summary: "Find customers", Description: "Newest first. Filters combine."}, auth.ActView, a.listCustomers)
	register(a, huma.Operation{OperationID: "create-customer", Method: http.MethodPost, Path: "/customers", Tags: tags,
		Summary: "Create a customer", Errors: []int{409, 422}}, auth.ActOperate, a.createCustomer)
	register(a, huma.Operation{OperationID: "get-customer", Method: http.MethodGet, Path: "/customers/{id}", Tags: tags,
		Summary: "One customer"}, auth.ActView, a.getCustomer)
	register(a, huma.Operation{OperationID: "update-customer", Method: http.MethodPatch, Path: "/customers/{id}", Tags: tags,
		Summary: "Change a customer's details", Description: "Fields left out keep their value.", Errors: []int{409, 422}}, auth.ActOperate,
		a.updateCustomer)
	register(a, huma.Operation{OperationID: "delete-customer", Method: http.MethodDelete, Path: "/customers/{id}", Tags: tags,
		Summary: "Delete (archive) a customer",
		Description: "Refused with nonzero_balance while any of the customer's accounts holds money or debt. " +
			"The customer and their accounts and history are kept, archived; the accounts are disabled.",
		Errors: []int{409}}, auth.ActArchive, a.archiveCustomer)
}

func (a *API) listCustomers(ctx context.Context, in *ListCustomersInput) (*CustomersOutput, error) {
	limit, after, err := in.window()
	if err != nil {
		return nil, err
	}
	// The store matches the phone however it was typed (ledger.PhoneTerms).
	cs, err := a.store.Customers(ctx, store.CustomerFilter{Phone: in.Phone, Name: in.Name, Email: in.Email, Q: in.Q,
		Archived: in.Archived, AfterID: after, Limit: limit})
	return &CustomersOutput{Body: pageOf(cs, limit, customerJSON, func() int64 { return cs[len(cs)-1].ID })}, err
}

func (a *API) createCustomer(ctx context.Context, in *CreateCustomerInput) (*CustomerOutput, error) {
	c, err := a.store.CreateCustomer(ctx, callerOf(ctx).actor(), in.Body.newCustomer())
	return &CustomerOutput{Body: customerJSON(c)}, err
}

func (a *API) getCustomer(ctx context.Context, in *CustomerIDInput) (*CustomerOutput, error) {
	c, err := byID(ctx, in.ID, "customer", a.store.Customer)
	return &CustomerOutput{Body: customerJSON(c)}, err
}

func (a *API) updateCustomer(ctx context.Context, in *PatchCustomerInput) (*CustomerOutput, error) {
	c, err := byID(ctx, in.ID, "customer", a.store.Customer)
	if err != nil {
		return nil, err
	}
	nc := ledger.NewCustomer{Name: c.Name, Phone: c.Phone, Email: c.Email, Company: c.Company, Remark: c.Remark,
		DefaultCurrency: c.DefaultCurrency, Locale: c.Locale, Notify: &c.Notify}
	b := in.Body
	setGiven(&nc.Name, b.Name)
	setGiven(&nc.Phone, b.Phone)
	setGiven(&nc.Email, b.Email)
	setGiven(&nc.Company, b.Company)
	setGiven(&nc.Remark, b.Remark)
	setGiven(&nc.DefaultCurrency, b.DefaultCurrency)
	setGiven(&nc.Locale, b.Locale)
	b.Notify.apply(nc.Notify)
	c, err = a.store.UpdateCustomer(ctx, callerOf(ctx).actor(), c.ID, nc)
	return &CustomerOutput{Body: customerJSON(c)}, err
}

// archiveCustomer is DELETE: a customer with history is archived, never
// removed.
func (a *API) archiveCustomer(ctx context.Context, in *CustomerIDInput) (*CustomerOutput, error) {
	id, err := parseID(in.ID, "customer")
	if err != nil {
		return nil, err
	}
	c, err := a.store.ArchiveCustomer(ctx, callerOf(ctx).actor(), id)
	return &CustomerOutput{Body: customerJSON(c)}, err
}
