#!/usr/bin/env python3
"""klsearch: look indicators up in Kaspersky CyberTrace.

Splunk runs this file as the custom search command `klsearch` (commands.conf: chunked = true,
search command protocol version 2, implemented here with the standard library only, so the app
needs no splunklib). From a shell it runs without Splunk:

    python3 kl_search.py [--host H] [--port P] [--timeout S] [--config FILE] TYPE=VALUE ...
    python3 kl_search.py verification

TYPE is url, ip, md5, sha1 or sha256; one VALUE may hold several values separated by "|".
Each indicator is sent on one TCP connection to the CyberTrace service as a line of the
request pattern in config.json (the pattern the service's regexps of this bundle read), after
the mode header X-KF-SendFinishedEventX-KF-ReplyBack; the service answers with its detection
events for that line and then the finished event. One line is printed per indicator.
Exit status: 0 = every lookup ran (found or not), 1 = an error or a failed verification,
2 = bad arguments.
"""
import csv
import io
import json
import os
import re
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = ("url", "ip", "md5", "sha1", "sha256")
MODE_HEADER = b"X-KF-SendFinishedEventX-KF-ReplyBack"
MAX_LINE = 1024 * 1024


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
    for key in ("service_addr", "service_port", "pattern", "finished_marker", "reply_fields", "reply_context"):
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


def parse_terms(terms):
    """'type=value|value', 'verification', host=, port=, timeout= -> (indicators, options)."""
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


def service_target(cfg, options):
    host = options.get("host") or cfg["service_addr"]
    try:
        port = int(options.get("port") or cfg["service_port"])
        timeout = float(options.get("timeout") or cfg.get("timeout_sec", 10))
    except ValueError:
        raise UsageError("port and timeout must be numbers")
    if not 0 < port < 65536:
        raise UsageError("port must be 1-65535, got %d" % port)
    if timeout <= 0:
        raise UsageError("timeout must be positive")
    return host, port, timeout


class Connection(object):
    """One TCP connection in ReplyBack mode: send a line, read replies up to the finished event."""

    def __init__(self, host, port, timeout, finished_marker):
        self.where = "%s:%d" % (host, port)
        self.timeout = timeout
        self.marker = finished_marker
        self.buffer = b""
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except socket.timeout:
            raise ServiceError("no answer from CyberTrace at %s within %gs (connect timed out)" % (self.where, timeout))
        except ConnectionRefusedError:
            raise ServiceError("CyberTrace at %s refused the connection (is the service running and listening on that port?)" % self.where)
        except OSError as e:
            raise ServiceError("cannot connect to CyberTrace at %s: %s" % (self.where, e.strerror or e))
        self.send(MODE_HEADER + b"\n")

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
                raise ServiceError("no finished event from CyberTrace at %s within %gs (timed out)" % (self.where, self.timeout))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise ServiceError("no finished event from CyberTrace at %s within %gs (timed out)" % (self.where, self.timeout))
            except OSError as e:
                raise ServiceError("reading from CyberTrace at %s failed: %s" % (self.where, e.strerror or e))
            if not chunk:
                raise ServiceError("CyberTrace at %s closed the connection before the finished event" % self.where)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return line.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise ServiceError("unreadable reply from CyberTrace at %s: not UTF-8 text" % self.where)

    def lookup(self, line):
        """Detection lines the service sent for one request line."""
        self.send(line.encode("utf-8") + b"\n")
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
        conn = Connection(host, port, timeout, cfg["finished_marker"])
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


def lookup_terms(terms, cfg):
    """Shared by the CLI and Splunk: terms -> (results, verification)."""
    indicators, options, verification = parse_terms(terms)
    if verification:
        indicators = verification_indicators(cfg) + indicators
    host, port, timeout = service_target(cfg, options)
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
        results, verification = lookup_terms(terms + overrides, cfg)
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
                row["ctx_" + k] = v
            rows.append(row)
    return rows


def rows_csv(rows):
    columns = []
    for row in rows:
        for k in row:
            if k not in columns:
                columns.append(k)
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    w.writeheader()
    for row in rows:
        w.writerow(row)
    return out.getvalue()


def splunk(stdin, stdout):
    meta, _ = read_chunk(stdin)
    if meta is None:
        return 0
    args = (meta.get("searchinfo") or {}).get("args") or []
    # A generating command: Splunk asks for its results with "execute" chunks.
    write_chunk(stdout, {"type": "events", "generating": True})
    messages = []
    try:
        cfg = load_config()
        results, verification = lookup_terms(args, cfg)
        rows = result_rows(results, cfg, verification, time.time())
    except UsageError as e:
        messages.append(["ERROR", "klsearch: %s" % e])
        rows = [{"_time": "%.3f" % time.time(), "_raw": "Error: klsearch: %s" % e, "LookupStatus": "error"}]
    while True:
        meta, _ = read_chunk(stdin)
        if meta is None:
            return 0
        if meta.get("action") == "execute":
            reply = {"finished": True}
            if messages:
                reply["inspector"] = {"messages": messages}
            write_chunk(stdout, reply, rows_csv(rows))
            return 0


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
