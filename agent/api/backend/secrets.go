package backend

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// urlPattern finds URLs in a configuration file's text.
var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+`)

// secretParams are query parameters that carry credentials.
var secretParams = []string{"token", "access_token", "auth", "key", "api_key", "apikey", "secret", "password", "passwd", "pass", "pwd", "sig", "signature"}

// maskWord replaces a secret in the text shown to callers.
const maskWord = "xxxxx"

// masker gives every URL with a secret its masked form, distinct per
// original and from every URL of the text, so that unmasking is exact.
type masker struct {
	taken    map[string]bool   // the text's URLs and the masked forms given
	original map[string]string // masked form → original
	given    map[string]string // original → masked form
}

// maskSecrets hides the passwords and secret query values of the URLs in
// text (a URL that does not parse but may hold one is hidden whole); it
// returns the masked text and, per masked form, the original URL.
func maskSecrets(text string) (string, map[string]string) {
	m := masker{taken: map[string]bool{}, original: map[string]string{}, given: map[string]string{}}
	for _, u := range urlPattern.FindAllString(text, -1) {
		m.taken[u] = true
	}
	return urlPattern.ReplaceAllStringFunc(text, m.mask), m.original
}

func (m *masker) mask(raw string) string {
	if s, ok := m.given[raw]; ok {
		return s
	}
	for n := 1; ; n++ {
		word := maskWord
		if n > 1 {
			word += strconv.Itoa(n)
		}
		s, secret := maskURL(raw, word)
		if !secret {
			return raw
		}
		if !m.taken[s] {
			m.taken[s], m.given[raw], m.original[s] = true, s, raw
			return s
		}
	}
}

// maskURL replaces one URL's password and secret query values with word;
// secret is false when it holds none. A URL that does not parse, or whose
// masked form would not read back as one URL, becomes masked://word when
// it may hold a secret.
func maskURL(raw, word string) (masked string, secret bool) {
	opaque := "masked://" + word
	u, err := url.Parse(raw)
	if err != nil {
		if strings.ContainsAny(raw, "@?&") {
			return opaque, true
		}
		return raw, false
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), word)
		secret = true
	}
	if q, err := url.ParseQuery(u.RawQuery); err != nil && strings.ContainsAny(u.RawQuery, "=") {
		u.RawQuery, secret = "", true
	} else {
		for k := range q {
			if isSecretParam(k) {
				q.Set(k, word)
				secret = true
			}
		}
		if secret {
			u.RawQuery = q.Encode()
		}
	}
	if !secret {
		return raw, false
	}
	if s := u.String(); urlPattern.FindString(s) == s {
		return s, true
	}
	return opaque, true
}

func isSecretParam(name string) bool {
	for _, s := range secretParams {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// unmaskSecrets puts back, in a text edited from old's masked form, the
// original of every masked URL that is still there unchanged; a URL the
// caller rewrote is taken as written.
func unmaskSecrets(text, old string) string {
	_, originals := maskSecrets(old)
	return urlPattern.ReplaceAllStringFunc(text, func(u string) string {
		if o, ok := originals[u]; ok {
			return o
		}
		return u
	})
}
