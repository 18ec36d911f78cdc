package fetch

import (
	"encoding/json"
	"fmt"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/upkeep-erp/upkeep/catalog"
)

// checkBoundRepository refuses a timestamp that names another repository, before
// TUF trusts (and caches) it: every repository of a central repository
// shares its keys, so only this signed field tells them apart. The snapshot
// it pins pins every bin by hash, so the whole chain is bound to the name.
func checkBoundRepository(timestamp []byte, want string) error {
	var doc struct {
		Signed map[string]json.RawMessage `json:"signed"`
	}
	if err := json.Unmarshal(timestamp, &doc); err != nil {
		return fmt.Errorf("timestamp.json is not JSON: %w", err)
	}
	var got string
	if raw, ok := doc.Signed[catalog.RepositoryField]; ok {
		if err := json.Unmarshal(raw, &got); err != nil {
			return fmt.Errorf("timestamp.json: %s is not a string: %w", catalog.RepositoryField, err)
		}
	}
	if got != want {
		return &metadata.ErrRepository{Msg: fmt.Sprintf("the server answers for repository %q with metadata of repository %q: it mixes repositories; check the repository URL and the server's configuration", want, got)}
	}
	return nil
}
