// Package api is Coffer's JSON API v1 (SPEC section 6), built with huma so
// that the OpenAPI 3.1 document served at /api/v1/openapi.json is generated
// from the very routes and types that answer requests.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/clientaddr"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/store"
)

// API holds what the handlers need.
type API struct {
	store   *store.Store
	log     *slog.Logger
	huma    huma.API
	metrics *Metrics
	now     func() time.Time
	// archiver runs retention and serves its archive files (archives.go).
	archiver *retention.Archiver
	// hooksPrivate lets webhooks reach private addresses (Options).
	hooksPrivate bool
	baseURL      *url.URL
	testMail     func(ctx context.Context, to string) error

	// inFlight holds the idempotency keys whose first request is still
	// being answered by this instance: a repeat meanwhile gets
	// request_in_progress instead of queueing behind it.
	inFlight sync.Map
}

// Options tune the API; the zero value is right for production.
type Options struct {
	Now     func() time.Time
	Metrics *Metrics
	// Archiver runs retention (default: one with no archive directory).
	Archiver *retention.Archiver
	// WebhooksAllowPrivate lets webhooks be registered for loopback,
	// link-local and private addresses (webhook.ErrPrivateDestination).
	WebhooksAllowPrivate bool
	// BaseURL is where customers reach Coffer (--base-url), for statement
	// links; nil: the address the request came to.
	BaseURL *url.URL
	// TestMail sends a test message through the mail settings (the
	// notify package's); nil refuses.
	TestMail func(ctx context.Context, to string) error
}

const prefix = "/api/v1"

// New registers the API's routes on mux.
func New(st *store.Store, log *slog.Logger, mux humago.Mux, opt Options) *API {
	a := &API{store: st, log: log, metrics: opt.Metrics, now: opt.Now, archiver: opt.Archiver, hooksPrivate: opt.WebhooksAllowPrivate,
		baseURL: opt.BaseURL, testMail: opt.TestMail}
	if a.archiver == nil {
		a.archiver = retention.New(st, "")
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.metrics == nil {
		a.metrics = NewMetrics(nil)
	}
	cfg := huma.DefaultConfig("Coffer API", "1.0.0")
	cfg.Info.Description = "Customer prepaid accounts: customers, accounts, top-ups, charges, adjustments, " +
		"operation records. Amounts are decimal strings in the currency's major unit. Errors are RFC 9457 problem+json with a stable `code`."
	cfg.OpenAPIPath = prefix + "/openapi"
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.CreateHooks = nil // no $schema links in bodies
	cfg.Transformers = []huma.Transformer{withRequestID}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "A session token from POST /api/v1/auth/login, or a program token."},
	}
	cfg.Security = []map[string][]string{{"bearer": {}}}
	// Voucher uploads (2 MB at most) are parsed in memory; the server caps
	// request bodies before they get here.
	humago.MultipartMaxMemory = 4 << 20
	a.huma = humago.New(mux, cfg)
	a.huma.UseMiddleware(a.authenticate)

	a.registerAuth()
	a.registerAdmins()
	a.registerTokens()
	a.registerCustomers()
	a.registerAccounts()
	a.registerPostings()
	a.registerHolds()
	a.registerAudit()
	a.registerSettings()
	a.registerTopUps()
	a.registerApprovals()
	a.registerVouchers()
	a.registerPaymentMethods()
	a.registerPromotions()
	a.registerArchives()
	a.registerAlerts()
	a.registerWebhooks()
	a.registerReports()
	a.registerNotifications()
	a.registerStatements()
	a.finishDocument()
	mux.HandleFunc(fallbackPattern, fallback(mux))
	return a
}

// OpenAPI is the generated document.
func (a *API) OpenAPI() *huma.OpenAPI { return a.huma.OpenAPI() }

type ctxKey int

const principalKey ctxKey = 0

// caller is who makes the current request.
type caller struct {
	store.Principal
	addr   string
	origin string // scheme and host the client asked, for links without --base-url
}

// actor is the caller as the store records it, with the client's address.
func (c caller) actor() ledger.Actor { return c.Principal.Actor(c.addr) }

// idempotency scopes a request's Idempotency-Key to its caller, so that two
// callers' keys never meet.
func (c caller) idempotency(key string) ledger.Idempotency {
	return ledger.Idempotency{Scope: c.actor().IdempotencyScope(), Key: key}
}

// callerOf is the caller authenticate put in the request's context.
func callerOf(ctx context.Context) caller {
	c, _ := ctx.Value(principalKey).(caller)
	return c
}

// roles on an operation's metadata is the action it is (auth.Can says who
// may call it); "public" needs no token at all.
const (
	metaAction = "action"
	metaPublic = "public"
)

// register adds an operation that the roles granted act (SPEC section 3,
// auth.Can) may call.
func register[I, O any](a *API, op huma.Operation, act auth.Action, h func(context.Context, *I) (*O, error)) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	roles := auth.Roles(act)
	op.Metadata[metaAction] = act
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	op.Description = strings.TrimSpace(op.Description + "\n\nRoles: " + strings.Join(names, ", ") + ".")
	op.Path = prefix + op.Path
	if op.DefaultStatus == 0 && op.Method == http.MethodPost {
		op.DefaultStatus = http.StatusCreated
	}
	handle(a, op, h)
}

// registerPublic adds an operation that needs no token at all: logging in.
func registerPublic[I, O any](a *API, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	op.Path = prefix + op.Path
	op.Security = []map[string][]string{}
	op.Metadata = map[string]any{metaPublic: true}
	handle(a, op, h)
}

// handle registers op as given, answering the handler's errors as the
// contract's problems.
func handle[I, O any](a *API, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	huma.Register(a.huma, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, a.problem(ctx, err)
		}
		return out, nil
	})
}

// authenticate resolves the bearer token and checks the operation's roles
// before any input is read.
func (a *API) authenticate(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	start := time.Now()
	defer func() { a.metrics.observe(op.Method, op.Path, ctx.Status(), time.Since(start)) }()
	r, _ := humago.Unwrap(ctx)
	addr := clientaddr.Of(r).Addr
	if op.Metadata[metaPublic] == true || op.Metadata[metaAction] == nil {
		next(huma.WithValue(ctx, principalKey, caller{addr: addr}))
		return
	}
	secret, ok := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
	if !ok || secret == "" {
		writeProblem(ctx, &Problem{Status: 401, Code: "unauthorized", Detail: "send Authorization: Bearer <token>"})
		return
	}
	p, err := a.store.Authenticate(ctx.Context(), strings.TrimSpace(secret))
	if errors.Is(err, ledger.ErrNotFound) {
		writeProblem(ctx, &Problem{Status: 401, Code: "unauthorized", Detail: "the token is unknown, expired or revoked, or its administrator is disabled"})
		return
	}
	if err != nil {
		a.log.ErrorContext(ctx.Context(), "authenticate", "err", err)
		writeProblem(ctx, &Problem{Status: 500, Code: "internal", Detail: "internal error"})
		return
	}
	if !auth.Can(p.Role(), op.Metadata[metaAction].(auth.Action)) {
		writeProblem(ctx, &Problem{Status: 403, Code: "forbidden", Detail: "your role (" + string(p.Role()) + ") may not do this"})
		return
	}
	next(huma.WithValue(ctx, principalKey, caller{Principal: p, addr: addr, origin: origin(r)}))
}

// origin is the scheme and host a request was sent to.
func origin(r *http.Request) string {
	scheme := "http"
	if clientaddr.Of(r).HTTPS {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// forbidden is for checks inside a handler (a field only a super admin may set).
func forbidden(detail string) error { return ledger.ErrForbidden.With(detail) }

// notFound is the answer for an id that names nothing of the kind what.
func notFound(what string) error {
	return ledger.ErrNotFound.With(what + " not found")
}

// parseID reads an opaque id from a path; anything that is not one of ours
// is simply not found.
func parseID(s, what string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, notFound(what)
	}
	return id, nil
}

// byID finds with get what the id in a path names.
func byID[T any](ctx context.Context, s, what string, get func(context.Context, int64) (T, error)) (T, error) {
	id, err := parseID(s, what)
	if err != nil {
		var none T
		return none, err
	}
	return get(ctx, id)
}

// idString is an id as the API gives it: an opaque string, "" for none.
func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// optID is an optional id: null for none.
func optID(id int64) *string {
	if id == 0 {
		return nil
	}
	s := strconv.FormatInt(id, 10)
	return &s
}

// parseOptID reads an id given as a filter or body field.
func parseOptID(s, field string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ledger.Invalid(field, "is not a valid id")
	}
	return id, nil
}

// utc is a time as the API gives it: in UTC, whatever the database's zone.
func utc(t time.Time) time.Time { return t.UTC() }

// optTime is an optional time in UTC: null for none.
func optTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
