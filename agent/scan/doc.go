// Package scan turns an instance's installed modules, the repositories' listings and its policy into a report and a plan, with no I/O.
package scan
