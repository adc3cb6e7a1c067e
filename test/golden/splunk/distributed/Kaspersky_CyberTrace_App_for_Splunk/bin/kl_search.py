#!/usr/bin/env python3
"""klsearch: look indicators up in Kaspersky CyberTrace.

Splunk runs this file as the custom search command `klsearch` (commands.conf: chunked = true,
search command protocol version 2, implemented here with the standard library only, so the app
needs no splunklib). From a shell it runs without Splunk:

    python3 kl_search.py [--host H] [--port P] [--timeout S] [--config FILE] TYPE=VALUE ...
    python3 kl_search.py verification

TYPE is url, ip, md5, sha1 or sha256; one VALUE may hold several values separated by "|".
All indicators go over one TCP connection to the CyberTrace service, each as a line of the
request pattern in config.json (the pattern the service's regexps of this bundle read). The
mode header X-KF-SendFinishedEventX-KF-ReplyBack is sent as the vendor's script sends it: no
line feed, directly followed by the first request line, so the lookup is right whether the
service reads the header as a message of its own or as the prefix of the first event. The
service answers each line with its detection events, then with the finished event, whose text
the bundle pins in FinishedEventFormat (config.json "finished_marker").
In Splunk the CyberTrace address comes from the KV-store collection an admin sets on the
"CyberTrace settings" dashboard (config.json is the default); users cannot pick another one.
One line is printed per indicator. Exit status: 0 = every lookup ran (found or not),
1 = an error or a failed verification, 2 = bad arguments.
"""
import csv
import io
import json
import os
import re
import socket
import ssl
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = ("url", "ip", "md5", "sha1", "sha256")
MAX_LINE = 1024 * 1024
MAX_TIMEOUT = 300


class UsageError(Exception):
    pass


class ServiceError(Exception):
    """The lookup could not be done: refused, timed out, closed, or an unreadable reply."""


def load_config(path=None):
    path = path or os.path.join(HERE, "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except OSError as e:
        raise UsageError("cannot read %s: %s" % (path, e.strerror or e))
    except ValueError as e:
        raise UsageError("%s is not valid JSON: %s" % (path, e))
    for key in ("service_addr", "service_port", "mode_header", "pattern", "finished_marker", "reply_fields", "reply_context"):
        if key not in cfg:
            raise UsageError("%s: missing key %r" % (path, key))
    return cfg


def request_line(pattern, itype, value):
    """The part of the pattern that carries %TYPE%, filled in: e.g. 'url=%URL%' -> 'url=http://x '."""
    token = "%" + itype.upper() + "%"
    parts = [p for p in pattern.split() if token in p]
    if not parts:
        raise UsageError("the request pattern %r has no %s part" % (pattern, token))
    if any(c in value for c in "\r\n"):
        raise UsageError("%s value must be on one line" % itype)
    # Values end at whitespace in the service's regexps, so one value never carries spaces.
    if re.search(r"\s", value):
        raise UsageError("%s value %r contains whitespace" % (itype, value))
    return parts[0].replace(token, value) + " "


def parse_terms(terms, allow_target):
    """'type=value|value', 'verification', timeout= (and host=, port= from a shell) -> (indicators, options, verification)."""
    indicators = []
    options = {}
    verification = False
    for term in terms:
        term = term.strip()
        if not term:
            continue
        if term.lower() == "verification":
            verification = True
            continue
        if "=" not in term:
            raise UsageError("expected TYPE=VALUE (TYPE: %s) or 'verification', got %r" % (", ".join(TYPES), term))
        key, value = term.split("=", 1)
        key = key.strip().lower()
        value = value.strip().strip('"').strip("'")
        if key in ("host", "port") and not allow_target:
            raise UsageError("%s= is not a search option: an admin sets the CyberTrace address on the CyberTrace settings dashboard" % key)
        if key in ("host", "port", "timeout"):
            options[key] = value
            continue
        if key not in TYPES:
            raise UsageError("unknown indicator type %r; use one of: %s" % (key, ", ".join(TYPES)))
        values = [v.strip() for v in value.split("|") if v.strip()]
        if not values:
            raise UsageError("%s= needs a value" % key)
        indicators.extend((key, v) for v in values)
    if not indicators and not verification:
        raise UsageError("give at least one TYPE=VALUE (TYPE: %s) or 'verification'" % ", ".join(TYPES))
    return indicators, options, verification


def service_target(cfg, options, stored=None):
    """Address and timeout: shell options, else the admin's stored setting, else config.json."""
    stored = stored or {}
    host = options.get("host") or stored.get("host") or cfg["service_addr"]
    try:
        port = int(options.get("port") or stored.get("port") or cfg["service_port"])
        timeout = float(options.get("timeout") or cfg.get("timeout_sec", 10))
    except ValueError:
        raise UsageError("port and timeout must be numbers")
    if not 0 < port < 65536:
        raise UsageError("port must be 1-65535, got %d" % port)
    if not 0 < timeout <= MAX_TIMEOUT:
        raise UsageError("timeout must be more than 0 and at most %d seconds" % MAX_TIMEOUT)
    if not re.match(r"^[A-Za-z0-9._:-]+$", host):
        raise UsageError("CyberTrace address %r is not a host name or IP address" % host)
    return host, port, timeout


class SettingsError(Exception):
    """The admin's stored CyberTrace address could not be read."""


def stored_settings(cfg, searchinfo):
    """The CyberTrace address an admin stored in the app's KV-store collection, or None when none is stored.

    Read through splunkd's REST API with the search's own session, as the user who runs the search
    (the collection is readable by everyone and writable by admins only, metadata/default.meta).
    """
    uri = (searchinfo.get("splunkd_uri") or "").rstrip("/")
    key = searchinfo.get("session_key")
    kv = cfg.get("settings")
    if not uri or not key or not kv:
        return None
    url = "%s/servicesNS/nobody/%s/storage/collections/data/%s?output_mode=json" % (
        uri, urllib.parse.quote(kv["app"], safe=""), urllib.parse.quote(kv["collection"], safe=""))
    request = urllib.request.Request(url, headers={"Authorization": "Splunk " + key})
    context = None
    if url.startswith("https://") and urllib.parse.urlparse(url).hostname in ("127.0.0.1", "localhost", "::1"):
        # The local splunkd serves its own self-signed certificate by default.
        context = ssl._create_unverified_context()
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as reply:
            records = json.loads(reply.read().decode("utf-8"))
    except Exception as e:  # HTTP, TLS, network and JSON errors alike: say which, never the session key
        raise SettingsError("cannot read the CyberTrace settings (KV-store collection %s): %s" % (kv["collection"], getattr(e, "reason", None) or e))
    for record in records if isinstance(records, list) else []:
        host = str(record.get(kv["host_field"]) or "").strip()
        port = str(record.get(kv["port_field"]) or "").strip()
        if host or port:
            # KV store numbers come back as floats ("9999.0").
            return {"host": host, "port": port[:-2] if port.endswith(".0") else port}
    return None


class Connection(object):
    """One TCP connection in ReplyBack mode: send a line, read replies up to the finished event."""

    def __init__(self, host, port, timeout, mode_header, finished_marker):
        self.where = "%s:%d" % (host, port)
        self.timeout = timeout
        self.marker = finished_marker
        self.buffer = b""
        # No line feed after the header: it goes out together with the first request line.
        self.header = mode_header.encode("ascii")
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except socket.timeout:
            raise ServiceError("no answer from CyberTrace at %s within %gs (connect timed out)" % (self.where, timeout))
        except ConnectionRefusedError:
            raise ServiceError("CyberTrace at %s refused the connection (is the service running and listening on that port?)" % self.where)
        except OSError as e:
            raise ServiceError("cannot connect to CyberTrace at %s: %s" % (self.where, e.strerror or e))

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ServiceError("CyberTrace at %s closed the connection while sending: %s" % (self.where, e.strerror or e))

    def read_line(self, deadline):
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                raise ServiceError("unreadable reply from CyberTrace at %s: a line longer than %d bytes" % (self.where, MAX_LINE))
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServiceError("no finished event from CyberTrace at %s within %gs (timed out; is FinishedEventFormat set as in the bundle?)" % (self.where, self.timeout))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise ServiceError("no finished event from CyberTrace at %s within %gs (timed out; is FinishedEventFormat set as in the bundle?)" % (self.where, self.timeout))
            except OSError as e:
                raise ServiceError("reading from CyberTrace at %s failed: %s" % (self.where, e.strerror or e))
            if not chunk:
                raise ServiceError("CyberTrace at %s closed the connection before the finished event" % self.where)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        # A byte that is not UTF-8 (a device logging latin-1, a cut character) becomes U+FFFD: the
        # rest of the reply, and every later one, is still read.
        return line.decode("utf-8", "replace").rstrip("\r")

    def lookup(self, line):
        """Detection lines the service sent for one request line."""
        self.send(self.header + line.encode("utf-8") + b"\n")
        self.header = b""
        deadline = time.monotonic() + self.timeout
        replies = []
        while True:
            reply = self.read_line(deadline)
            if reply.startswith(self.marker):
                return replies
            if reply.strip():
                replies.append(reply)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ReplyParser(object):
    """Reads detection events with the same regexes as the app's transforms.conf."""

    def __init__(self, cfg):
        self.fields = [(name, re.compile(rx)) for name, rx in cfg["reply_fields"]]
        self.context = re.compile(cfg["reply_context"])

    def parse(self, line, where):
        found = {}
        for name, rx in self.fields:
            m = rx.search(line)
            if m and m.group(1) is not None:
                found[name] = m.group(1)
        if "category" not in found:
            raise ServiceError("unreadable reply from CyberTrace at %s: %r is not a detection event" % (where, line[:200]))
        found["context"] = [(k, v) for k, v in self.context.findall(line)]
        return found


def run_lookups(indicators, cfg, host, port, timeout):
    """One result per indicator: {type, value, status: found|not found|error, detections, raw, error}.

    An error ends the run: the indicator it happened on gets status 'error', the rest are not tried.
    """
    parser = ReplyParser(cfg)
    # Every request line is built before connecting, so a bad value is reported before anything is sent.
    lines = [(itype, value, request_line(cfg["pattern"], itype, value)) for itype, value in indicators]
    results = []
    conn = None
    try:
        conn = Connection(host, port, timeout, cfg["mode_header"], cfg["finished_marker"])
        for itype, value, line in lines:
            try:
                replies = conn.lookup(line)
                detections = [parser.parse(r, conn.where) for r in replies]
            except ServiceError as e:
                results.append({"type": itype, "value": value, "status": "error", "error": str(e), "detections": [], "raw": []})
                return results
            results.append({"type": itype, "value": value, "status": "found" if detections else "not found", "detections": detections, "raw": replies})
    except ServiceError as e:
        itype, value = indicators[len(results)] if len(results) < len(indicators) else ("", "")
        results.append({"type": itype, "value": value, "status": "error", "error": str(e), "detections": [], "raw": []})
    finally:
        if conn:
            conn.close()
    return results


def verification_indicators(cfg):
    return [(v["type"], v["value"]) for v in cfg.get("verification", [])]


def verification_feed(cfg, itype, value):
    for v in cfg.get("verification", []):
        if v["type"] == itype and v["value"] == value:
            return v.get("feed", "")
    return ""


def context_text(context):
    return ", ".join("%s=%s" % (k, v) for k, v in context)


def result_lines(results, cfg, verification):
    lines = []
    for r in results:
        label = "%s=%s" % (r["type"], r["value"]) if r["type"] else "lookup"
        if r["status"] == "error":
            lines.append("%s: error: %s" % (label, r["error"]))
            continue
        cats = ", ".join(d["category"] for d in r["detections"])
        if verification:
            feed = verification_feed(cfg, r["type"], r["value"])
            verdict = "OK" if r["detections"] else "FALSE"
            lines.append("%-5s %s (%s): %s" % (verdict, label, feed, cats or "not detected"))
        elif r["detections"]:
            for d in r["detections"]:
                ctx = context_text(d["context"])
                lines.append("%s: %s%s" % (label, d["category"], " (%s)" % ctx if ctx else ""))
        else:
            lines.append("%s: not found in the CyberTrace feeds" % label)
    return lines


def lookup_terms(terms, cfg, allow_target, stored=None):
    """Shared by the CLI and Splunk: terms -> (results, verification)."""
    indicators, options, verification = parse_terms(terms, allow_target)
    if verification:
        indicators = verification_indicators(cfg) + indicators
    host, port, timeout = service_target(cfg, options, stored)
    return run_lookups(indicators, cfg, host, port, timeout), verification


def failed(results, verification):
    return any(r["status"] == "error" or (verification and not r["detections"]) for r in results)


# ---- command line ----------------------------------------------------------------------

def cli(argv):
    terms = []
    cfg_path = None
    overrides = []
    it = iter(argv)
    for a in it:
        if a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        if a in ("--host", "--port", "--timeout", "--config"):
            v = next(it, None)
            if v is None:
                sys.stderr.write("kl_search: %s needs a value\n" % a)
                return 2
            if a == "--config":
                cfg_path = v
            else:
                overrides.append("%s=%s" % (a[2:], v))
        else:
            terms.append(a)
    try:
        cfg = load_config(cfg_path)
        results, verification = lookup_terms(terms + overrides, cfg, allow_target=True)
    except UsageError as e:
        sys.stderr.write("kl_search: %s\n" % e)
        return 2
    for line in result_lines(results, cfg, verification):
        sys.stdout.write(line + "\n")
    return 1 if failed(results, verification) else 0


# ---- Splunk search command protocol v2 (chunked) ----------------------------------------

def read_chunk(stream):
    header = stream.readline()
    if not header:
        return None, None
    m = re.match(rb"chunked\s+1\.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n$", header)
    if not m:
        raise UsageError("not a search command protocol v2 chunk header: %r" % header[:80])
    meta = stream.read(int(m.group(1)))
    body = stream.read(int(m.group(2)))
    return json.loads(meta.decode("utf-8") or "{}"), body


def write_chunk(stream, meta, body=""):
    m = json.dumps(meta).encode("utf-8")
    b = body.encode("utf-8")
    stream.write(b"chunked 1.0,%d,%d\n" % (len(m), len(b)))
    stream.write(m)
    stream.write(b)
    stream.flush()


def add_field(row, name, value):
    """Sets a field; a name seen again in the same event becomes a multivalue field."""
    if name in row:
        if not isinstance(row[name], list):
            row[name] = [row[name]]
        row[name].append(value)
    else:
        row[name] = value


def result_rows(results, cfg, verification, now):
    rows = []
    for r in results:
        base = {"_time": "%.3f" % now, "LookupIndicator": "%s=%s" % (r["type"], r["value"]) if r["type"] else "", "LookupType": r["type"]}
        if r["status"] == "error":
            rows.append(dict(base, _raw="Error: " + r["error"], LookupStatus="error"))
            continue
        status = ("OK" if r["detections"] else "FALSE") if verification else r["status"]
        if verification:
            base["LookupFeed"] = verification_feed(cfg, r["type"], r["value"])
        if not r["detections"]:
            rows.append(dict(base, _raw="No match in the CyberTrace feeds for %s" % base["LookupIndicator"], LookupStatus=status))
        for raw, d in zip(r["raw"], r["detections"]):
            row = dict(base, _raw=raw, LookupStatus=status)
            for k, v in d.items():
                if k != "context":
                    row[k] = v
            for k, v in d["context"]:
                add_field(row, k, v)
            rows.append(row)
    return rows


def rows_csv(rows):
    """Protocol v2 results: CSV; a multivalue field holds its values one per line, and its
    __mv_<field> column the encoded list ($value$;$value$, with $ doubled inside values)."""
    columns = []
    out_rows = []
    for row in rows:
        flat = {}
        for k, v in row.items():
            if isinstance(v, list):
                flat[k] = "\n".join(v)
                flat["__mv_" + k] = ";".join("$%s$" % x.replace("$", "$$") for x in v)
            else:
                flat[k] = v
        for k in flat:
            if k not in columns:
                columns.append(k)
        out_rows.append(flat)
    # Every multivalue field gets its __mv_ column, empty in rows where it has one value.
    for k in list(columns):
        if not k.startswith("__mv_") and "__mv_" + k not in columns and any("__mv_" + k in r for r in out_rows):
            columns.append("__mv_" + k)
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    w.writeheader()
    for row in out_rows:
        w.writerow(row)
    return out.getvalue()


def error_messages(results):
    """Failed lookups as inspector messages: an ERROR is what makes Splunk show a banner."""
    return [["ERROR", "klsearch: %s" % r["error"]] for r in results if r["status"] == "error"]


def splunk(stdin, stdout):
    """Search command protocol v2 for a generating command: getinfo, then execute requests until
    a reply says finished. Each reply carries at most maxresultrows rows."""
    meta, _ = read_chunk(stdin)
    if meta is None:
        return 0
    searchinfo = meta.get("searchinfo") or {}
    args = searchinfo.get("args") or []
    try:
        max_rows = max(1, int(searchinfo.get("maxresultrows") or 50000))
    except (TypeError, ValueError):
        max_rows = 50000
    write_chunk(stdout, {"type": "events", "generating": True})
    rows = None
    messages = []
    while True:
        meta, _ = read_chunk(stdin)
        if meta is None:
            return 0
        if meta.get("action") != "execute":
            continue
        try:
            if rows is None:
                rows, messages = search_rows(args, searchinfo)
        except Exception as e:  # a bug must still end the search with a valid reply Splunk can show
            rows = []
            messages = [["ERROR", "klsearch: internal error: %s: %s" % (type(e).__name__, e)]]
        batch, rows = rows[:max_rows], rows[max_rows:]
        reply = {"finished": not rows}
        if messages:
            reply["inspector"] = {"messages": messages}
            messages = []
        write_chunk(stdout, reply, rows_csv(batch) if batch else "")
        if not rows:
            return 0


def search_rows(args, searchinfo):
    """Rows and inspector messages of one search."""
    now = time.time()
    messages = []
    try:
        cfg = load_config()
        try:
            stored = stored_settings(cfg, searchinfo)
        except SettingsError as e:
            messages.append(["WARN", "klsearch: %s; using the address in config.json" % e])
            stored = None
        results, verification = lookup_terms(args, cfg, allow_target=False, stored=stored)
    except UsageError as e:
        messages.append(["ERROR", "klsearch: %s" % e])
        return [{"_time": "%.3f" % now, "_raw": "Error: klsearch: %s" % e, "LookupStatus": "error"}], messages
    messages.extend(error_messages(results))
    if verification and not failed(results, False):
        missed = [r for r in results if not r["detections"]]
        if missed:
            messages.append(["WARN", "klsearch verification: %d of %d feeds did not detect their test indicator" % (len(missed), len(results))])
    return result_rows(results, cfg, verification, now), messages


def main(argv):
    if argv or sys.stdin.isatty():
        return cli(argv)
    try:
        return splunk(sys.stdin.buffer, sys.stdout.buffer)
    except Exception as e:  # Splunk shows stderr in the search log; keep it to one line.
        sys.stderr.write("klsearch: %s: %s\n" % (type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
