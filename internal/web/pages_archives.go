package web

import (
	"net/http"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/store"
)

// archives lists what retention moved out of the database, for super
// admins and admins, with a download of each file.
func (web *Web) archives(q *request) {
	if !q.can(auth.ActOperate) && !q.can(auth.ActSystem) {
		q.fail(http.StatusForbidden, "err.forbidden")
		return
	}
	items, err := web.store.Archives(q.r.Context(), 0, 200)
	if err != nil {
		q.internal(err)
		return
	}
	s, err := web.store.Settings(q.r.Context())
	if err != nil {
		q.internal(err)
		return
	}
	q.render("archives", 200, q.page(q.L.T("nav.archives"), struct {
		Items []store.Archive
		Days  int
	}{items, s.RetentionDays}))
}

// archiveFile hands the download to the API, which checks the file's
// checksum on the way out.
func (web *Web) archiveFile(q *request) {
	if !q.can(auth.ActOperate) && !q.can(auth.ActSystem) {
		q.fail(http.StatusForbidden, "err.forbidden")
		return
	}
	id, ok := q.pathID()
	if !ok {
		return
	}
	web.reportFile("/api/v1/archives/"+itoa(id), "")(q)
}

func (web *Web) archiveRun(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	if _, err := web.archiver.Run(q.r.Context(), q.actor(), retention.Options{}); err != nil {
		q.failErr(err)
		return
	}
	q.redirect("/archives?done=saved")
}
