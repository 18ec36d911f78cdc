package repo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/upkeep-erp/upkeep/catalog"
)

// AddAdvisory adds a security advisory to a published version (a vendor
// learns of a hole after publishing) and re-signs the listings that carry
// it. The module's publishers and admins may; the attempt is audited.
func (s *Store) AddAdvisory(ctx context.Context, module, version string, adv catalog.Advisory, actor Actor) error {
	at := Attempt{Actor: actor, Action: "advisory", Module: module, Version: version, Detail: advisoryDetail(adv)}
	return s.attempt(ctx, at, func(*Attempt) error {
		if !actor.CanPublish(module) {
			return errorf(KindForbidden, "%s may not add advisories to %s; ask an admin for a token that covers it", actor.Name, clip(module, 100))
		}
		if err := adv.Validate(); err != nil {
			return wrapKind(KindInvalid, err, "advisory refused")
		}
		return s.locked(ctx, func() error {
			return s.write(ctx, func(c *change) error { return s.addAdvisory(c, module, version, adv, actor) })
		})
	})
}

func (s *Store) addAdvisory(c *change, module, version string, adv catalog.Advisory, actor Actor) error {
	src, err := s.loadRelease(c.tx, module, version)
	if err != nil {
		return err
	}
	rel := &src.Release
	for _, a := range rel.Advisories {
		if a.ID == adv.ID {
			return errorf(KindConflict, "%s %s already carries advisory %s; an advisory is added once", module, rel.Version, catalog.Quote(adv.ID))
		}
	}
	if len(rel.Advisories) >= catalog.MaxAdvisories {
		return errorf(KindInvalid, "%s %s already carries %d advisories, the limit; add this one to a later version", module, rel.Version, len(rel.Advisories))
	}
	rel.Advisories = append(rel.Advisories, adv)
	body, err := json.Marshal(rel)
	if err != nil {
		return fmt.Errorf("encode release: %w", err)
	}
	if _, err := c.tx.Exec("UPDATE versions SET release_json = ? WHERE module = ? AND sort_key = ?", string(body), module, rel.Version.SortKey()); err != nil {
		return fmt.Errorf("add advisory: %w", err)
	}
	if err := s.markModule(c, module); err != nil {
		return err
	}
	return s.audit(c, actor, "advisory", module, rel.Version.String(), advisoryDetail(adv))
}

// advisoryDetail describes an advisory for the audit log, clipped.
func advisoryDetail(a catalog.Advisory) string {
	return clip(fmt.Sprintf("%s %s affects %s: %s", a.ID, a.Severity, a.Affects, a.Title), 400)
}
