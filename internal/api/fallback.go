package api

import (
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// router is what the fallback needs of the server's mux: to ask which
// pattern, if any, would serve a request.
type router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// fallback answers what no operation under /api/v1 serves with a problem,
// as the rest of the API does (SPEC section 7): 405 method_not_allowed with
// an Allow header when the path exists for other methods, 404 not_found
// otherwise. It is registered for "/api/" (any method), which ServeMux
// chooses only when no operation's pattern matches.
func fallback(mux humago.Mux) http.HandlerFunc {
	rt, _ := mux.(router)
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		if rt != nil {
			for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
				probe := r.Clone(r.Context())
				probe.Method = m
				if _, pattern := rt.Handler(probe); pattern != "" && pattern != fallbackPattern {
					allow = append(allow, m)
				}
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			answer(w, &Problem{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
				Detail: r.Method + " is not served at " + r.URL.Path + "; allowed: " + strings.Join(allow, ", ")})
			return
		}
		answer(w, &Problem{Status: http.StatusNotFound, Code: "not_found", Detail: "no such API path: " + r.URL.Path})
	}
}

const fallbackPattern = "/api/"
