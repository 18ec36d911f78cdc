package api

import (
	"net/http"
	"strings"
)

// route is one path of the API with the methods it takes.
type route struct {
	path    string // a net/http pattern without a method
	methods []method
}

// method is one method of a route: whether it acts, and its handler.
type method struct {
	name  string
	act   bool // needs root or the admin group; reading needs only a connection
	serve func(*Server, http.ResponseWriter, *http.Request, Caller) error
}

func get(h func(*Server, http.ResponseWriter, *http.Request, Caller) error) method {
	return method{name: http.MethodGet, serve: h}
}

func post(h func(*Server, http.ResponseWriter, *http.Request, Caller) error) method {
	return method{name: http.MethodPost, act: true, serve: h}
}

func put(h func(*Server, http.ResponseWriter, *http.Request, Caller) error) method {
	return method{name: http.MethodPut, act: true, serve: h}
}

// routes is the whole API, sorted by path (a test keeps it so).
var routes = []route{
	{"/v1/apply", []method{post((*Server).apply)}},
	{"/v1/events", []method{get((*Server).events)}},
	{"/v1/events/stream", []method{get((*Server).eventStream)}},
	{"/v1/holds", []method{get((*Server).holds), put((*Server).setHolds)}},
	{"/v1/installed", []method{get((*Server).installed)}},
	{"/v1/module-state", []method{post((*Server).moduleState)}},
	{"/v1/overrides", []method{get((*Server).overrides), put((*Server).setOverrides)}},
	{"/v1/plan", []method{get((*Server).plan)}},
	{"/v1/rehearse", []method{post((*Server).rehearse)}},
	{"/v1/reload", []method{post((*Server).reload)}},
	{"/v1/report", []method{get((*Server).report)}},
	{"/v1/runs", []method{get((*Server).runs)}},
	{"/v1/runs/{id}", []method{get((*Server).run)}},
	{"/v1/runs/{id}/cancel", []method{post((*Server).cancel)}},
	{"/v1/runs/{id}/events", []method{get((*Server).runEvents)}},
	{"/v1/scan", []method{post((*Server).scan)}},
	{"/v1/settings", []method{get((*Server).settings), put((*Server).setSettings)}},
	{"/v1/status", []method{get((*Server).status)}},
}

func (rt route) method(name string) (method, bool) {
	for _, m := range rt.methods {
		if m.name == name {
			return m, true
		}
	}
	return method{}, false
}

func (rt route) allow() string {
	names := make([]string, len(rt.methods))
	for i, m := range rt.methods {
		names[i] = m.name
	}
	return strings.Join(names, ", ")
}
