#!/usr/bin/env python3
"""Reads an ossim-agent plugin .cfg the way the agent does and applies its rules to log lines.

Usage: ossim_agent_rules.py PLUGIN.cfg < lines
Prints one JSON object per input line: {"section", "attributes"} of the first matching rule, or
{"section": null}. Exit 2 with a message on stderr when the agent could not load the plugin.

What is emulated (FACTS.md section 2): ConfigParser with %-interpolation and ";" inline comments,
latin1, lowercased keys, DEFAULT keys inherited by every section; outer quotes stripped from every
value; aliases such as \\IPV4 expanded; regexps compiled with IGNORECASE|UNICODE and applied with
search(); a plain-substring precheck; rules tried in sorted section-name order, first match wins;
{$name}, $N, {translate($name)} with the _DEFAULT_ fallback; plugin_sid must be a number.
"""
import configparser
import json
import re
import sys

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


def load(path):
    cfg = configparser.ConfigParser(inline_comment_prefixes=(";",), strict=True)
    try:
        with open(path, encoding="latin1") as f:
            cfg.read_file(f)
    except configparser.Error as e:
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
        sid = attrs.get("plugin_sid", "")
        try:
            int(sid)
        except ValueError:
            # The agent drops such an event ("Plugin sid not a number").
            return {"section": section, "dropped": "Plugin sid not a number: %r" % sid}
        return {"section": section, "attributes": attrs}
    return {"section": None}


def main():
    if len(sys.argv) != 2:
        fail("usage: ossim_agent_rules.py PLUGIN.cfg < lines")
    rules, translation = load(sys.argv[1])
    for raw in sys.stdin.read().split("\n"):
        if raw == "":
            continue
        print(json.dumps(apply(rules, translation, raw), ensure_ascii=False))


if __name__ == "__main__":
    main()
