#!/usr/bin/env python3
"""Reads an ossim-agent plugin .cfg and its log file the way the agent does and applies its rules.

Usage: ossim_agent_rules.py AGENT_CONFIG INSTALLED_PATH PLUGIN.cfg LOG
AGENT_CONFIG is the sensor's /etc/ossim/agent/config.cfg; its [plugins] entry whose path is
INSTALLED_PATH names the encoding (`path|utf-8`; latin1 without one or with an unknown one).
PLUGIN.cfg is read in that encoding, and so is LOG. Prints one JSON object per line the agent
reads: {"line", "section", "attributes"} of the first matching rule, or {"line", "section": null};
{"fatal": ...} and nothing after it when the agent's parser loop would die. Exit 2 with a message
on stderr when the agent would not load the plugin.

What is emulated (the AlienVault ossim-agent source, agent 5.8.x): config.cfg read by
Python 2's ConfigParser (a repeated section continues the first one, the last value of a key
wins, option names lower-cased, outer quotes stripped); the plugin read by ConfigParser with
%-interpolation and ";" inline comments, DEFAULT keys inherited by every section; aliases such
as \\IPV4 expanded; regexps compiled with IGNORECASE|UNICODE and applied with search(); a
plain-substring precheck; rules tried in sorted section-name order, first match wins; {$name},
$N, {translate($name)} with the _DEFAULT_ fallback (without it the category itself becomes the
SID); the log read through a codecs reader, whose readline() also ends a line at U+0085 (byte
0x85 in latin1), \\v, \\f, \\x1c-\\x1e, U+2028 and U+2029, and a line without its newline joined
once with the next read (the agent waits a second first; the file here is complete);
plugin_sid 0 and SIDs above 2147483647 become 20000000, a SID that is not a number makes
int() raise, which ends the parser loop.
"""
import codecs
import configparser
import json
import re
import sys

DEFAULT_PLUGIN_SID = "20000000"
MAX_PLUGIN_SID = 2147483647

# Values of the agent's aliases.cfg.
ALIASES = {
    "IPV4": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    "IPV6_MAP": r"::ffff:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    "MAC": r"\w{1,2}:\w{1,2}:\w{1,2}:\w{1,2}:\w{1,2}:\w{1,2}",
    "PORT": r"\d{1,5}",
    "HOSTNAME": r"((([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)([a-zA-Z])+)",
    "TIME": r"\d\d:\d\d:\d\d",
    "SYSLOG_DATE": r"\w{3}\s+\d{1,2}\s\d\d:\d\d:\d\d",
    "SYSLOG_DATE_SHORT": r"\w+\s+\d{1,2}\s\d\d:\d\d:\d\d\s\d{4}",
    "SYSLOG_WY_DATE": r"\w+\s+\d{1,2}\s\d{4}\s\d\d:\d\d:\d\d",
}

# Event attributes the agent knows; any other key of a rule is logged as "Bad event attribute".
EVENT_ATTRIBUTES = {
    "event_type", "date", "fdate", "sensor", "interface", "plugin_id", "plugin_sid", "priority",
    "protocol", "src_ip", "src_port", "dst_ip", "dst_port", "username", "password", "filename",
    "userdata1", "userdata2", "userdata3", "userdata4", "userdata5", "userdata6", "userdata7",
    "userdata8", "userdata9", "occurrences", "log", "snort_sid", "snort_cid", "tzone", "ctx",
    "device", "src_hostname", "dst_hostname", "src_mac", "dst_mac",
}
RULE_ONLY_KEYS = {"regexp", "precheck"}
NON_RULE_SECTIONS = {"config", "translation"}


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(2)


def strip_value(value):
    return value.strip('"').strip("'")


def expand_aliases(regexp):
    def sub(m):
        return ALIASES.get(m.group(1), m.group(0))
    return re.sub(r"\\([A-Z][A-Z0-9_]+)", sub, regexp)


def plugin_encoding(agent_config, installed_path):
    """The encoding of the [plugins] entry for installed_path, as the agent's Agent.py reads it."""
    conf = configparser.RawConfigParser(inline_comment_prefixes=(";",), strict=False)
    try:
        with codecs.open(agent_config, "r", encoding="latin1") as f:
            conf.read_file(f)
    except configparser.Error as e:
        fail("config.cfg: %s" % e)
    if not conf.has_section("plugins"):
        fail("config.cfg: no [plugins] section")
    for name, value in conf.items("plugins"):
        data = strip_value(value).split("|")
        if data[0] != installed_path:
            continue
        encoding = "latin1"
        if len(data) > 1:
            try:
                codecs.lookup(data[1])
                encoding = data[1]
            except LookupError:
                pass
        return encoding
    fail("config.cfg: no [plugins] entry loads %s" % installed_path)


def load(path, encoding):
    cfg = configparser.ConfigParser(inline_comment_prefixes=(";",), strict=True)
    try:
        with codecs.open(path, "r", encoding=encoding) as f:
            cfg.read_file(f)
    except (configparser.Error, UnicodeDecodeError) as e:
        fail("ConfigParser: %s" % e)
    for s in ("config", "translation"):
        if not cfg.has_section(s):
            fail("missing section [%s]" % s)
    try:
        int(cfg.get("DEFAULT", "plugin_id"))
    except (configparser.Error, ValueError) as e:
        fail("plugin_id: %s" % e)
    conf = {k: strip_value(v) for k, v in cfg.items("config")}
    for key, want in (("type", "detector"), ("source", "log"), ("enable", "yes")):
        if conf.get(key) != want:
            fail("[config] %s must be %s, is %r" % (key, want, conf.get(key)))
    translation = {k.lower(): strip_value(v) for k, v in cfg.items("translation")}
    rules = []
    for section in sorted(cfg.sections()):
        if section.lower() in NON_RULE_SECTIONS:
            continue
        try:
            items = {k: strip_value(v) for k, v in cfg.items(section)}
        except configparser.Error as e:
            fail("[%s]: %s" % (section, e))
        if "regexp" not in items:
            continue
        regexp = items["regexp"]
        if "\\n" in regexp:
            fail("[%s]: the regexp holds \\n, which the agent splits into a multi-line rule" % section)
        if not regexp:
            fail("[%s]: empty regexp" % section)
        for key in items:
            if key not in RULE_ONLY_KEYS and key not in EVENT_ATTRIBUTES:
                fail("[%s]: Bad event attribute %s" % (section, key))
        try:
            compiled = re.compile(expand_aliases(regexp), re.IGNORECASE | re.UNICODE)
        except re.error as e:
            fail("[%s]: regexp does not compile: %s" % (section, e))
        rules.append((section, compiled, items.get("precheck", ""), items))
    if not rules:
        fail("no rule sections")
    return rules, translation


def substitute(template, m, translation):
    def group(name):
        if name.isdigit():
            v = m.group(int(name))
        else:
            v = m.groupdict().get(name)
        return "" if v is None else v

    def translate(name):
        v = group(name).lower()
        if v in translation:
            return translation[v]
        return translation.get("_default_", group(name))

    out = re.sub(r"\{translate\(\$(\w+)\)\}", lambda x: translate(x.group(1)), template)
    out = re.sub(r"\{normalize_date\(\$(\w+)\)\}", lambda x: group(x.group(1)), out)
    out = re.sub(r"\{\$(\w+)\}", lambda x: group(x.group(1)), out)
    return out


class ParserLoopDied(Exception):
    pass


def plugin_sid_defaults(sid):
    """Detector._plugin_defaults: 0 and too large SIDs become the generic 20000000; int() raises on text."""
    if sid == "0":
        return DEFAULT_PLUGIN_SID
    try:
        if int(sid) > MAX_PLUGIN_SID:
            return DEFAULT_PLUGIN_SID
    except ValueError:
        raise ParserLoopDied("int() of plugin_sid %r raised ValueError: the parser loop ends, the plugin reads nothing more" % sid)
    return sid


def apply(rules, translation, line):
    for section, compiled, precheck, items in rules:
        if precheck and precheck not in line:
            continue
        m = compiled.search(line)
        if not m:
            continue
        attrs = {}
        for key, template in items.items():
            if key in RULE_ONLY_KEYS:
                continue
            attrs[key] = substitute(template, m, translation)
        attrs["plugin_sid"] = plugin_sid_defaults(attrs.get("plugin_sid", ""))
        return {"section": section, "attributes": attrs}
    return {"section": None}


def agent_lines(path, encoding):
    """TailFollowBookmark.next(): codecs readline(), a line without its newline joined once with the next."""
    with codecs.open(path, "r", encoding=encoding) as f:
        while True:
            line = f.readline()
            if not line:
                return
            if line[-1] != "\n":
                line += f.readline()
            yield line


def emit(obj):
    sys.stdout.buffer.write((json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8"))


def main():
    if len(sys.argv) != 5:
        fail("usage: ossim_agent_rules.py AGENT_CONFIG INSTALLED_PATH PLUGIN.cfg LOG")
    agent_config, installed_path, plugin, log = sys.argv[1:]
    encoding = plugin_encoding(agent_config, installed_path)
    rules, translation = load(plugin, encoding)
    for line in agent_lines(log, encoding):
        try:
            result = apply(rules, translation, line)
        except ParserLoopDied as e:
            emit({"line": line.rstrip("\n"), "fatal": str(e)})
            break
        result["line"] = line.rstrip("\n")
        emit(result)


if __name__ == "__main__":
    main()
