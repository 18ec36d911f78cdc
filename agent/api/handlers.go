package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
)

// Limits of the list routes.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

func (s *Server) status(w http.ResponseWriter, r *http.Request, c Caller) error {
	st, err := s.backend.Status(r.Context())
	if err != nil {
		return err
	}
	st.Caller = c
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) report(w http.ResponseWriter, r *http.Request, _ Caller) error {
	return reply(w, http.StatusOK)(s.backend.Report(r.Context()))
}

func (s *Server) scan(w http.ResponseWriter, r *http.Request, c Caller) error {
	var req ScanRequest
	if err := readJSON(r, &req, true); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.backend.Scan(r.Context(), req, c))
}

func (s *Server) plan(w http.ResponseWriter, r *http.Request, _ Caller) error {
	req := PlanRequest{Install: queryList(r, "install"), IncludeUpgrades: queryList(r, "include_upgrades"),
		Modules: queryList(r, "modules")}
	var err error
	if req.DisableBlockers, err = queryBool(r, "disable_blockers"); err != nil {
		return err
	}
	if req.PatchesOnly, err = queryBool(r, "patches_only"); err != nil {
		return err
	}
	if req.UpdateAll, err = queryBool(r, "update_all"); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.backend.Plan(r.Context(), req))
}

// queryBool reads a true/false query parameter; absent is false.
func queryBool(r *http.Request, key string) (bool, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &BadRequestError{Message: fmt.Sprintf("%s=%q: say true or false", key, v)}
	}
	return b, nil
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request, c Caller) error {
	req, err := readRunRequest(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusAccepted)(s.backend.Apply(r.Context(), req, c))
}

func (s *Server) moduleState(w http.ResponseWriter, r *http.Request, c Caller) error {
	var req ModuleStateRequest
	if err := readJSON(r, &req, false); err != nil {
		return err
	}
	if req.Action != ActionDisable && req.Action != ActionEnable {
		return &BadRequestError{Message: fmt.Sprintf("action %q: give %q or %q", req.Action, ActionDisable, ActionEnable)}
	}
	if len(req.Modules) == 0 {
		return &BadRequestError{Message: "modules is empty: name the modules to " + req.Action}
	}
	status := http.StatusOK
	if req.PlanHash != "" {
		status = http.StatusAccepted
	}
	return reply(w, status)(s.backend.ModuleState(r.Context(), req, c))
}

func (s *Server) rehearse(w http.ResponseWriter, r *http.Request, c Caller) error {
	req, err := readRunRequest(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusAccepted)(s.backend.Rehearse(r.Context(), req, c))
}

func readRunRequest(r *http.Request) (RunRequest, error) {
	var req RunRequest
	if err := readJSON(r, &req, false); err != nil {
		return req, err
	}
	if req.PlanHash == "" {
		return req, &BadRequestError{Message: "plan_hash is empty: give the hash of the plan you reviewed (GET /v1/plan)"}
	}
	return req, nil
}

func (s *Server) runs(w http.ResponseWriter, r *http.Request, _ Caller) error {
	limit, err := limitOf(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.backend.Runs(r.Context(), limit))
}

func (s *Server) run(w http.ResponseWriter, r *http.Request, _ Caller) error {
	return reply(w, http.StatusOK)(s.backend.Run(r.Context(), r.PathValue("id")))
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, c Caller) error {
	return reply(w, http.StatusOK)(s.backend.Cancel(r.Context(), r.PathValue("id"), c))
}

func (s *Server) runEvents(w http.ResponseWriter, r *http.Request, _ Caller) error {
	since, err := queryInt(r, "since")
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	return stream(s, w, r, func(ctx context.Context, send func(RunEvent) error) error {
		return s.backend.RunEvents(ctx, id, since, send)
	})
}

func (s *Server) events(w http.ResponseWriter, r *http.Request, _ Caller) error {
	since, err := queryInt(r, "since")
	if err != nil {
		return err
	}
	limit, err := limitOf(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.backend.Events(r.Context(), EventQuery{Since: since, Limit: limit}))
}

func (s *Server) eventStream(w http.ResponseWriter, r *http.Request, _ Caller) error {
	since, err := queryInt(r, "since")
	if err != nil {
		return err
	}
	return stream(s, w, r, func(ctx context.Context, send func(Event) error) error {
		return s.backend.FollowEvents(ctx, since, send)
	})
}

func (s *Server) overrides(w http.ResponseWriter, r *http.Request, _ Caller) error {
	return reply(w, http.StatusOK)(s.backend.Overrides(r.Context()))
}

func (s *Server) setOverrides(w http.ResponseWriter, r *http.Request, c Caller) error {
	var ch OverridesChange
	if err := readJSON(r, &ch, false); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.backend.SetOverrides(r.Context(), ch, c))
}

func (s *Server) holds(w http.ResponseWriter, r *http.Request, _ Caller) error {
	return reply(w, http.StatusOK)(s.backend.Holds(r.Context()))
}

func (s *Server) setHolds(w http.ResponseWriter, r *http.Request, c Caller) error {
	var ch HoldsChange
	if err := readJSON(r, &ch, false); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.backend.SetHolds(r.Context(), ch, c))
}

func (s *Server) installed(w http.ResponseWriter, r *http.Request, _ Caller) error {
	return reply(w, http.StatusOK)(s.backend.Installed(r.Context()))
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request, _ Caller) error {
	return reply(w, http.StatusOK)(s.backend.Settings(r.Context()))
}

func (s *Server) setSettings(w http.ResponseWriter, r *http.Request, c Caller) error {
	var up SettingsUpdate
	if err := readJSON(r, &up, false); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.backend.SetSettings(r.Context(), up, c))
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request, c Caller) error {
	return reply(w, http.StatusOK)(s.backend.Reload(r.Context(), c))
}

// reply returns a function that writes a backend's result with status, or
// hands its error back to the route's error handling.
func reply(w http.ResponseWriter, status int) func(any, error) error {
	return func(v any, err error) error {
		if err != nil {
			return err
		}
		writeJSON(w, status, v)
		return nil
	}
}

func limitOf(r *http.Request) (int, error) {
	n, err := queryInt(r, "limit")
	switch {
	case err != nil:
		return 0, err
	case n == 0:
		return defaultLimit, nil
	case n > maxLimit:
		return 0, &BadRequestError{Message: fmt.Sprintf("limit=%d: give at most %d", n, maxLimit)}
	}
	return int(n), nil
}
