# modinfo.py: read module versions and dependencies the way Tryton does.
#
# Run by the Go package with the instance's interpreter and PYTHONPATH (the
# module overlay), so trytond.modules.get_module_info finds exactly the
# tryton.cfg files that trytond itself would load. Reads module names from
# stdin, one a line; writes one JSON object to stdout:
#   {"trytond": "6.0.29", "trytond_dir": "...",
#    "modules": [{"name", "version", "depends", "directory", "error"}]}
# A fatal problem (trytond cannot be imported) is {"fatal": "..."} and exit 3.
import json
import sys

# -c puts the working directory first on sys.path: a "trytond" folder there
# must not shadow the one the instance runs with.
sys.path[:] = [p for p in sys.path if p not in ('', '.')]


def fatal(msg):
    json.dump({'fatal': msg}, sys.stdout)
    sys.exit(3)


try:
    import trytond
    from trytond.modules import get_module_info
except Exception as e:  # ImportError, or a broken trytond on the path
    fatal('import trytond: %s: %s' % (type(e).__name__, e))


def info(name):
    out = {'name': name}
    try:
        cfg = get_module_info(name)
    except Exception as e:  # OSError "File not found", a bad tryton.cfg
        out['error'] = '%s: %s' % (type(e).__name__, str(e).strip())
        return out
    out['version'] = cfg.get('version', '')
    out['depends'] = cfg.get('depends', [])
    out['directory'] = cfg.get('directory', '')
    return out


names = [n.strip() for n in sys.stdin.read().splitlines() if n.strip()]
json.dump({
    'trytond': trytond.__version__,
    'trytond_dir': trytond.__path__[0],
    'modules': [info(n) for n in names],
}, sys.stdout)
