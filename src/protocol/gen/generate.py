#!/usr/bin/env python3
"""Generates brook's Kafka message codecs from src/protocol/schema/*.json.

Usage: generate.py --schema-dir DIR --out-dir DIR

Writes into OUT/protocol/:
  messages.h / messages.cc                  structs, Encode/DecodeInto, operator<<, ApiKey
  error_codes.h / error_codes.cc            ErrorCode enum, names, retriability
  messages_testing.h / messages_testing.cc  Sample<T>(version, kind) for tests and fuzz seeds

Schema format (JSON; lines starting with // are comments), one file per API family:
  {"api": "JoinGroup", "api_key": 11,          (omitted for headers and data payloads)
   "messages": [{"name": "JoinGroupRequest", "kind": "request|response|header|data",
                 "versions": "0-9", "flexible": "6+|none", "fields": [FIELD...]}]}
  FIELD: {"name": snake_case, "type": int8|int16|int32|int64|uint16|uint32|float64|bool|
          uuid|string|bytes|[]<type>|[]<StructName>, "versions": "N+|A-B|N|none",
          "nullable": versions (default none), "default": value or null,
          "ignorable": bool (default false: a non-default value in a version without the
          field is an encode error, as in Kafka), "tag": N (tagged field in flexible
          versions), "flexible": "none" (always classic encoding), "about": text,
          "fields": [FIELD...] (for []StructName)}
Files are only rewritten when their content changes.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

PRIMITIVES = {
    # type: (C++ type, fixed wire size, Reader/Writer suffix)
    "int8": ("int8_t", 1, "Int8"),
    "int16": ("int16_t", 2, "Int16"),
    "int32": ("int32_t", 4, "Int32"),
    "int64": ("int64_t", 8, "Int64"),
    "uint16": ("uint16_t", 2, "Uint16"),
    "uint32": ("uint32_t", 4, "Uint32"),
    "float64": ("double", 8, "Float64"),
    "bool": ("bool", 1, "Bool"),
    "uuid": ("Uuid", 16, "Uuid"),
}
INT_RANGES = {"int8": 100, "int16": 30000, "int32": 2000000000, "int64": 2000000000,
              "uint16": 60000, "uint32": 2000000000}


class SchemaError(Exception):
    pass


def load_json(path):
    with open(path, encoding="utf-8") as f:
        text = "\n".join(line for line in f.read().splitlines()
                         if not line.lstrip().startswith("//"))
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SchemaError(f"{path}: {e}") from e


class Versions:
    """An inclusive version range; hi None means unbounded; empty when lo > hi."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(text):
        text = str(text).strip()
        if text == "none":
            return Versions(1, 0)
        m = re.fullmatch(r"(\d+)\+", text)
        if m:
            return Versions(int(m.group(1)), None)
        m = re.fullmatch(r"(\d+)-(\d+)", text)
        if m:
            return Versions(int(m.group(1)), int(m.group(2)))
        m = re.fullmatch(r"(\d+)", text)
        if m:
            return Versions(int(m.group(1)), int(m.group(1)))
        raise SchemaError(f"bad version range '{text}'")

    def empty(self):
        return self.hi is not None and self.lo > self.hi

    def intersect(self, other):
        lo = max(self.lo, other.lo)
        if self.hi is None:
            hi = other.hi
        elif other.hi is None:
            hi = self.hi
        else:
            hi = min(self.hi, other.hi)
        return Versions(lo, hi)

    def contains(self, v):
        return v >= self.lo and (self.hi is None or v <= self.hi)

    def covers(self, other):
        """True if every version of other is in self."""
        if other.empty():
            return True
        return self.lo <= other.lo and (
            self.hi is None or (other.hi is not None and other.hi <= self.hi))

    def __str__(self):
        if self.empty():
            return "none"
        if self.hi is None:
            return f"{self.lo}+"
        if self.lo == self.hi:
            return str(self.lo)
        return f"{self.lo}-{self.hi}"

    def cond(self, within, var="version"):
        """A C++ condition for 'var in self', knowing var is in within.

        Returns None when always true and "false" when never true."""
        eff = self.intersect(within)
        if eff.empty():
            return "false"
        if self.covers(within):
            return None
        parts = []
        if eff.lo > within.lo:
            parts.append(f"{var} >= {eff.lo}")
        if eff.hi is not None and (within.hi is None or eff.hi < within.hi):
            parts.append(f"{var} <= {eff.hi}")
        if len(parts) == 2 and eff.lo == eff.hi:
            return f"{var} == {eff.lo}"
        return " && ".join(parts)


def camel(snake):
    return "".join(p[:1].upper() + p[1:] for p in snake.split("_"))


def cpp_string(s):
    return json.dumps(s)


class Field:
    def __init__(self, spec, owner, msg):
        self.name = spec["name"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise SchemaError(f"{owner.qualified}: field name '{self.name}' is not snake_case")
        self.about = spec.get("about", "")
        self.versions = Versions.parse(spec["versions"])
        self.nullable = Versions.parse(spec.get("nullable", "none"))
        self.ignorable = bool(spec.get("ignorable", False))
        self.tag = spec.get("tag")
        self.classic_only = spec.get("flexible") == "none"
        type_text = spec["type"]
        self.is_array = type_text.startswith("[]")
        self.elem = type_text[2:] if self.is_array else type_text
        self.struct = None
        self.msg = msg
        self.owner = owner
        # Versions (within those of the enclosing struct) where the field exists / is nullable.
        self.present = self.versions.intersect(owner.within)
        self.nullable_present = self.nullable.intersect(self.present)
        if self.present.empty():
            raise SchemaError(f"{owner.qualified}.{self.name}: not present in any version")
        if self.elem not in PRIMITIVES and self.elem not in ("string", "bytes"):
            if not self.is_array:
                raise SchemaError(f"{owner.qualified}.{self.name}: unknown type '{type_text}'")
            if "fields" not in spec:
                raise SchemaError(f"{owner.qualified}.{self.name}: struct array needs fields")
            self.struct = Struct(self.elem, spec["fields"], msg, owner, self.present)
        if self.is_nullable and not self.is_array and self.elem not in ("string", "bytes"):
            raise SchemaError(f"{owner.qualified}.{self.name}: only strings, bytes and arrays "
                              "can be nullable")
        if self.tag is not None:
            if not msg.flexible.covers(self.present):
                raise SchemaError(f"{owner.qualified}.{self.name}: tagged outside flexible "
                                  "versions")
            if not self.ignorable:
                raise SchemaError(f"{owner.qualified}.{self.name}: tagged fields must be "
                                  "ignorable")
        self.default = spec.get("default", "__unset__")
        self.default_null = self.default is None
        if self.default_null and not self.is_nullable:
            raise SchemaError(f"{owner.qualified}.{self.name}: null default on a field that "
                              "is never nullable")

    @property
    def is_nullable(self):
        return not self.nullable_present.empty()

    # --- C++ types and defaults ------------------------------------------------------

    def elem_cpp(self, qualified=False):
        if self.struct is not None:
            return self.struct.qualified if qualified else self.struct.name
        if self.elem == "string":
            return "std::string"
        if self.elem == "bytes":
            return "Bytes"
        return PRIMITIVES[self.elem][0]

    def base_cpp(self, qualified=False):
        if self.is_array:
            return f"std::vector<{self.elem_cpp(qualified)}>"
        return self.elem_cpp(qualified)

    def cpp_type(self):
        t = self.base_cpp()
        return f"std::optional<{t}>" if self.is_nullable else t

    def scalar_default(self):
        d = self.default
        if self.elem == "bool":
            return "true" if d is True or d == "true" else "false"
        if self.elem == "float64":
            return repr(float(d)) if d != "__unset__" else "0.0"
        if d == "__unset__":
            return "0"
        return str(int(d))

    def initializer(self):
        if self.is_array or self.elem in ("string", "bytes"):
            if self.default_null:
                return ""
            if not self.is_array and self.elem == "string" and self.default not in (
                    "__unset__", ""):
                return f" = {cpp_string(self.default)}"
            if self.is_nullable:
                return f" = {self.base_cpp()}()"
            return ""
        if self.elem == "uuid":
            return "{}"
        return f" = {self.scalar_default()}"

    def non_default_expr(self, expr):
        """C++ expression true when expr differs from the field's default."""
        if self.is_array or self.elem in ("string", "bytes"):
            if self.default_null:
                return f"{expr}.has_value()"
            if not self.is_array and self.elem == "string" and self.default not in (
                    "__unset__", ""):
                return f"{expr} != {cpp_string(self.default)}"
            if self.is_nullable:
                return f"(!{expr}.has_value() || !{expr}->empty())"
            return f"!{expr}.empty()"
        if self.elem == "bool":
            return f"!{expr}" if self.scalar_default() == "true" else expr
        if self.elem == "uuid":
            return f"{expr} != Uuid{{}}"
        return f"{expr} != {self.scalar_default()}"

    def min_elem_size(self):
        if self.struct is not None or self.elem in ("string", "bytes"):
            return 1
        return PRIMITIVES[self.elem][1]


class Struct:
    def __init__(self, name, field_specs, msg, parent, within):
        self.name = name
        # The versions in which this struct is encoded at all.
        self.within = within
        self.parent = parent
        self.qualified = f"{parent.qualified}::{name}" if parent else name
        self.func = (parent.func if parent else "") + name
        self.msg = msg if msg is not None else self
        self.fields = []
        self._specs = field_specs

    def build(self):
        seen = set()
        tags = set()
        for spec in self._specs:
            f = Field(spec, self, self.msg)
            if f.name in seen:
                raise SchemaError(f"{self.qualified}: duplicate field {f.name}")
            seen.add(f.name)
            if f.tag is not None:
                if f.tag in tags:
                    raise SchemaError(f"{self.qualified}: duplicate tag {f.tag}")
                tags.add(f.tag)
            if f.struct is not None:
                f.struct.build()
            self.fields.append(f)

    def nested(self):
        """Nested structs, children before parents."""
        out = []
        for f in self.fields:
            if f.struct is not None:
                out.extend(f.struct.nested())
                out.append(f.struct)
        return out


class Message(Struct):
    def __init__(self, spec, family):
        self.valid = Versions.parse(spec["versions"])
        self.flexible = Versions.parse(spec.get("flexible", "none")).intersect(self.valid)
        self.kind = spec["kind"]
        if self.kind not in ("request", "response", "header", "data"):
            raise SchemaError(f"{spec['name']}: bad kind {self.kind}")
        self.api = family.get("api")
        self.api_key = family.get("api_key")
        if self.kind in ("request", "response") and self.api is None:
            raise SchemaError(f"{spec['name']}: requests and responses need an api")
        super().__init__(spec["name"], spec["fields"], None, None, self.valid)
        self.msg = self
        if self.valid.hi is None:
            raise SchemaError(f"{self.name}: versions need an upper bound")

    def flexible_cond(self):
        return self.flexible.cond(self.valid)

    def first_flexible(self):
        return "kNoFlexibleVersions" if self.flexible.empty() else str(self.flexible.lo)


# ---------------------------------------------------------------------------------------
# Code emission helpers


class Out:
    def __init__(self):
        self.lines = []
        self.indent = 0

    def __call__(self, line=""):
        if line:
            self.lines.append("  " * self.indent + line)
        else:
            self.lines.append("")

    def block(self, head):
        self(head + " {" if head else "{")
        self.indent += 1

    def end(self, tail="}"):
        self.indent -= 1
        self(tail)

    def text(self):
        return "\n".join(self.lines) + "\n"


def pick(compact, if_compact, if_classic):
    """compact is 'flexible', 'true' or 'false'."""
    if compact == "true":
        return if_compact
    if compact == "false":
        return if_classic
    return f"{compact} ? {if_compact} : {if_classic}"


def compact_flag(field, in_tag):
    if in_tag:
        return "true"
    flex = field.msg.flexible.intersect(field.present)
    if field.classic_only or flex.empty():
        return "false"
    if flex.covers(field.present):
        return "true"
    return "flexible"


def version_text_expr():
    return "std::to_string(version)"


# ---------------------------------------------------------------------------------------
# Encode


def emit_write_field(o, f, expr, w, compact):
    """Writes field f whose value is expr with writer w."""
    n = cpp_string(f.name)
    if f.is_array:
        emit_write_array(o, f, expr, w, compact)
        return
    if f.elem in ("string", "bytes"):
        kind = "String" if f.elem == "string" else "Bytes"
        if f.is_nullable:
            ncond = f.nullable_present.cond(f.present)
            nullable_write = "BROOK_RETURN_IF_ERROR(" + pick(
                compact, f"{w}.WriteCompactNullable{kind}({n}, {expr})",
                f"{w}.WriteNullable{kind}({n}, {expr})") + ");"
            plain_write = "BROOK_RETURN_IF_ERROR(" + pick(
                compact, f"{w}.WriteCompact{kind}({n}, *{expr})",
                f"{w}.Write{kind}({n}, *{expr})") + ");"
            if ncond is None:
                o(nullable_write)
            else:
                o.block(f"if ({ncond})")
                o(nullable_write)
                o.end()
                o.block("else")
                o.block(f"if (!{expr}.has_value())")
                o(f"return {w}.Error({n}, \"null is not allowed at version \" + "
                  f"{version_text_expr()} + \" (nullable in versions {f.nullable_present})\");")
                o.end()
                o(plain_write)
                o.end()
        else:
            o("BROOK_RETURN_IF_ERROR(" + pick(compact, f"{w}.WriteCompact{kind}({n}, {expr})",
                                              f"{w}.Write{kind}({n}, {expr})") + ");")
        return
    o(f"{w}.Write{PRIMITIVES[f.elem][2]}({expr});")


def emit_write_array(o, f, expr, w, compact):
    n = cpp_string(f.name)
    o.block("")  # scope for 'items'
    if f.is_nullable:
        ncond = f.nullable_present.cond(f.present)
        o.block(f"if (!{expr}.has_value())")
        if ncond is not None:
            o.block(f"if (!({ncond}))")
            o(f"return {w}.Error({n}, \"null is not allowed at version \" + "
              f"{version_text_expr()} + \" (nullable in versions {f.nullable_present})\");")
            o.end()
        o("BROOK_RETURN_IF_ERROR(" + pick(
            compact, f"{w}.WriteCompactArrayLength({n}, std::nullopt)",
            f"{w}.WriteArrayLength({n}, std::nullopt)") + ");")
        o.end()
        o.block("else")
        o(f"const {f.base_cpp(True)}& items = *{expr};")
    else:
        o(f"const {f.base_cpp(True)}& items = {expr};")
    o("BROOK_RETURN_IF_ERROR(" + pick(compact, f"{w}.WriteCompactArrayLength({n}, items.size())",
                                      f"{w}.WriteArrayLength({n}, items.size())") + ");")
    o.block("for (size_t i = 0; i < items.size(); ++i)")
    o(f"const PathScope scope({w}.path(), {n}, static_cast<int64_t>(i));")
    if f.struct is not None:
        o(f"BROOK_RETURN_IF_ERROR(Encode{f.struct.func}(items[i], version, {w}));")
    elif f.elem in ("string", "bytes"):
        kind = "String" if f.elem == "string" else "Bytes"
        o("BROOK_RETURN_IF_ERROR(" + pick(compact, f"{w}.WriteCompact{kind}(\"\", items[i])",
                                          f"{w}.Write{kind}(\"\", items[i])") + ");")
    else:
        o(f"{w}.Write{PRIMITIVES[f.elem][2]}(items[i]);")
    o.end()
    if f.is_nullable:
        o.end()
    o.end()


def emit_encode_struct(o, s):
    msg = s.msg
    o(f"Status Encode{s.func}(const {s.qualified}& value, [[maybe_unused]] int16_t version, "
      "Writer& w) {")
    o.indent += 1
    flex = msg.flexible.intersect(s.within)
    fc = flex.cond(s.within)
    if not flex.empty() and fc is not None:
        o(f"[[maybe_unused]] const bool flexible = {fc};")
    for f in s.fields:
        if f.tag is not None:
            continue
        compact = compact_flag(f, False)
        expr = f"value.{f.name}"
        cond = f.present.cond(s.within)
        check_default = not f.ignorable and cond is not None
        if cond is None:
            emit_write_field(o, f, expr, w="w", compact=compact)
            continue
        o.block(f"if ({cond})")
        emit_write_field(o, f, expr, w="w", compact=compact)
        if check_default:
            o.end()
            o.block(f"else if ({f.non_default_expr(expr)})")
            o(f"return w.Error({cpp_string(f.name)}, \"a non-default value cannot be encoded at "
              f"version \" + {version_text_expr()} + \" (the field exists in versions "
              f"{f.present})\");")
        o.end()
    if not flex.empty():
        tagged = sorted((f for f in s.fields if f.tag is not None), key=lambda f: f.tag)
        o.block(f"if ({fc})" if fc is not None else "")
        if not tagged:
            o("w.WriteUnsignedVarint(0);  // no tagged fields")
        else:
            o("uint32_t tagged_count = 0;")
            for f in tagged:
                tcond = f.present.cond(flex)
                nd = f.non_default_expr(f"value.{f.name}")
                full = nd if tcond is None else f"({tcond}) && {nd}"
                o(f"const bool has_{f.name} = {full};")
                o(f"if (has_{f.name}) ++tagged_count;")
            o("w.WriteUnsignedVarint(tagged_count);")
            for f in tagged:
                o.block(f"if (has_{f.name})")
                o(f"w.WriteUnsignedVarint({f.tag});")
                o("Bytes tagged_value;")
                o("Writer tagged(&tagged_value);")
                o("tagged.path() = w.path();")
                emit_write_field(o, f, f"value.{f.name}", w="tagged", compact="true")
                o("w.WriteUnsignedVarint(static_cast<uint32_t>(tagged_value.size()));")
                o("w.WriteRaw(tagged_value);")
                o.end()
        o.end()
    o("return Status::Ok();")
    o.end()
    o()


# ---------------------------------------------------------------------------------------
# Decode


def emit_read_field(o, f, target, r, compact):
    """Reads field f into the lvalue target with reader r."""
    n = cpp_string(f.name)
    if f.is_array:
        emit_read_array(o, f, target, r, compact)
        return
    if f.elem in ("string", "bytes"):
        kind = "String" if f.elem == "string" else "Bytes"
        nullable_read = pick(compact, f"{r}.ReadCompactNullable{kind}({n})",
                             f"{r}.ReadNullable{kind}({n})")
        plain_read = pick(compact, f"{r}.ReadCompact{kind}({n})", f"{r}.Read{kind}({n})")
        if f.is_nullable:
            ncond = f.nullable_present.cond(f.present)
            if ncond is None:
                o(f"BROOK_ASSIGN_OR_RETURN({target}, {nullable_read});")
            else:
                o.block(f"if ({ncond})")
                o(f"BROOK_ASSIGN_OR_RETURN({target}, {nullable_read});")
                o.end()
                o.block("else")
                o(f"BROOK_ASSIGN_OR_RETURN({target}, {plain_read});")
                o.end()
        else:
            o(f"BROOK_ASSIGN_OR_RETURN({target}, {plain_read});")
        return
    o(f"BROOK_ASSIGN_OR_RETURN({target}, {r}.Read{PRIMITIVES[f.elem][2]}({n}));")


def emit_read_array(o, f, target, r, compact):
    n = cpp_string(f.name)
    msz = f.min_elem_size()
    o.block("")
    o("BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> count, " +
      pick(compact, f"{r}.ReadCompactArrayLength({n}, {msz})",
           f"{r}.ReadArrayLength({n}, {msz})") + ");")
    o.block("if (!count.has_value())")
    ncond = f.nullable_present.cond(f.present) if f.is_nullable else "false"
    if ncond is None:
        o(f"{target} = std::nullopt;")
    else:
        if ncond != "false":
            o.block(f"if ({ncond})")
            o(f"{target} = std::nullopt;")
            o.end()
            o.block("else")
        o(f"return {r}.Error({n}, \"null array is not allowed at version \" + "
          f"{version_text_expr()});")
        if ncond != "false":
            o.end()
    o.end()
    o.block("else")
    if f.is_nullable:
        o(f"{f.base_cpp(True)}& items = {target}.emplace();")
    else:
        o(f"{f.base_cpp(True)}& items = {target};")
        if r == "tr":
            o("items.clear();  // a repeated tagged field replaces the earlier value")
    o("items.reserve(std::min<size_t>(*count, kMaxReserve));")
    o.block("for (size_t i = 0; i < *count; ++i)")
    o(f"const PathScope scope({r}.path(), {n}, static_cast<int64_t>(i));")
    if f.struct is not None:
        o(f"BROOK_RETURN_IF_ERROR(Decode{f.struct.func}({r}, version, items.emplace_back()));")
    elif f.elem in ("string", "bytes"):
        kind = "String" if f.elem == "string" else "Bytes"
        read = pick(compact, f"{r}.ReadCompact{kind}(\"\")", f"{r}.Read{kind}(\"\")")
        o(f"BROOK_ASSIGN_OR_RETURN(items.emplace_back(), {read});")
    else:
        o(f"BROOK_ASSIGN_OR_RETURN(items.emplace_back(), "
          f"{r}.Read{PRIMITIVES[f.elem][2]}(\"\"));")
    o.end()
    o.end()
    o.end()


def emit_decode_struct(o, s):
    msg = s.msg
    o(f"Status Decode{s.func}(Reader& r, [[maybe_unused]] int16_t version, "
      f"{s.qualified}& value) {{")
    o.indent += 1
    flex = msg.flexible.intersect(s.within)
    fc = flex.cond(s.within)
    if not flex.empty() and fc is not None:
        o(f"[[maybe_unused]] const bool flexible = {fc};")
    for f in s.fields:
        if f.tag is not None:
            continue
        compact = compact_flag(f, False)
        cond = f.present.cond(s.within)
        if cond is None:
            emit_read_field(o, f, f"value.{f.name}", "r", compact)
        else:
            o.block(f"if ({cond})")
            emit_read_field(o, f, f"value.{f.name}", "r", compact)
            o.end()
    if not flex.empty():
        tagged = sorted((f for f in s.fields if f.tag is not None), key=lambda f: f.tag)
        o.block(f"if ({fc})" if fc is not None else "")
        if not tagged:
            o("BROOK_RETURN_IF_ERROR(r.SkipTaggedFields());")
        else:
            o("auto on_tag = [&](uint32_t tag, Reader& tr) -> Result<bool> {")
            o.indent += 1
            o.block("switch (tag)")
            for f in tagged:
                o.block(f"case {f.tag}:")
                tcond = f.present.cond(flex)
                if tcond is not None:
                    o(f"if (!({tcond})) return false;")
                emit_read_field(o, f, f"value.{f.name}", "tr", "true")
                o("return true;")
                o.end()
            o("default:")
            o("  return false;")
            o.end()
            o.indent -= 1
            o("};")
            o("BROOK_RETURN_IF_ERROR(r.ReadTaggedFields(on_tag));")
        o.end()
    o("return Status::Ok();")
    o.end()
    o()


# ---------------------------------------------------------------------------------------
# Printing


def emit_print_struct(o, s):
    o(f"std::ostream& operator<<(std::ostream& os, const {s.qualified}& value) {{")
    o.indent += 1
    label = s.name if s.parent is None else ""
    o(f"os << \"{label}{{\";")
    for i, f in enumerate(s.fields):
        sep = ", " if i > 0 else ""
        o(f"os << \"{sep}{f.name}=\";")
        o(f"internal::PrintValue(os, value.{f.name});")
    o("return os << '}';")
    o.end()
    o()


# ---------------------------------------------------------------------------------------
# Header


def emit_struct_decl(o, s, indent_doc=True):
    o.block(f"struct {s.name}")
    if s.parent is None:
        o(f"static constexpr std::string_view kName = {cpp_string(s.name)};")
        if s.kind in ("request", "response"):
            o(f"static constexpr ApiKey kApiKey = ApiKey::k{s.api};")
        o(f"static constexpr int16_t kMinVersion = {s.valid.lo};")
        o(f"static constexpr int16_t kMaxVersion = {s.valid.hi};")
        o(f"static constexpr int16_t kFirstFlexibleVersion = {s.first_flexible()};")
        if s.kind == "request":
            o(f"using Response = {s.api}Response;")
        elif s.kind == "response":
            o(f"using Request = {s.api}Request;")
        o()
    for f in s.fields:
        if f.struct is not None:
            emit_struct_decl(o, f.struct)
            o()
    for f in s.fields:
        notes = [f"v{f.present}"]
        if f.is_nullable:
            notes.append(f"nullable v{f.nullable_present}")
        if f.tag is not None:
            notes.append(f"tag {f.tag}")
        if not f.ignorable and not f.present.covers(s.within):
            notes.append("non-default is an error in other versions")
        if f.classic_only:
            notes.append("always classic encoding")
        for line in textwrap.wrap(f"{f.about} [{'; '.join(notes)}]", 92 - 2 * o.indent):
            o(f"// {line}")
        o(f"{f.cpp_type()} {f.name}{f.initializer()};")
    o()
    o(f"bool operator==(const {s.name}&) const = default;")
    o.end("};")


def generate_messages_h(messages, apis):
    o = Out()
    o("// Generated by src/protocol/gen/generate.py from src/protocol/schema/*.json. Do not edit.")
    o("//")
    o("// Kafka message structs and their codecs. Each top-level struct T has kName, kMinVersion,")
    o("// kMaxVersion, kFirstFlexibleVersion (kNoFlexibleVersions if never flexible) and, for")
    o("// requests and responses, kApiKey and Response/Request. Fields carry the version ranges")
    o("// they exist in; fields absent from the version being encoded are ignored, except that a")
    o("// non-default value in a field marked \"non-default is an error in other versions\" is an")
    o("// encode error (Kafka's rule for non-ignorable fields). Decoding leaves absent fields at")
    o("// their defaults.")
    o("//")
    o("//   Status Encode(const T&, int16_t version, Writer&)  appends the body; on error the")
    o("//       writer is truncated back and the message names the field.")
    o("//   Status DecodeInto(Reader&, int16_t version, T&)    resets T, then reads the body.")
    o("// Errors are prefixed \"<Message> v<version>: \". See framing.h for headers and frames.")
    o("//")
    o("// Thread-safety: plain values and pure functions.")
    o("#pragma once")
    o()
    for inc in ["<array>", "<cstdint>", "<optional>", "<ostream>", "<string>", "<string_view>",
                "<tuple>", "<vector>"]:
        o(f"#include {inc}")
    o()
    o('#include "brook/status.h"')
    o('#include "protocol/codec.h"')
    o()
    o("namespace brook::protocol {")
    o()
    o("// kFirstFlexibleVersion of a message that never uses flexible encodings.")
    o("inline constexpr int16_t kNoFlexibleVersions = 0x7fff;")
    o()
    o("enum class ApiKey : int16_t {")
    for api, key, _, _ in sorted(apis, key=lambda a: a[1]):
        o(f"  k{api} = {key},")
    o("};")
    o()
    o("// Brook's supported versions of an API (request and response share them).")
    o("struct ApiInfo {")
    o("  ApiKey key;")
    o("  std::string_view name;")
    o("  int16_t min_version;")
    o("  int16_t max_version;")
    o("  int16_t first_flexible_version;")
    o("};")
    o(f"inline constexpr std::array<ApiInfo, {len(apis)}> kApis = {{{{")
    for api, key, req, _ in sorted(apis, key=lambda a: a[1]):
        o(f"    {{ApiKey::k{api}, {cpp_string(api)}, {req.valid.lo}, {req.valid.hi}, "
          f"{req.first_flexible()}}},")
    o("}};")
    o()
    o("// \"JoinGroup\"; \"Unknown\" for keys brook does not implement.")
    o("std::string_view ApiKeyName(ApiKey key);")
    o()
    for m in messages:
        o(f"struct {m.name};")
    o()
    for m in messages:
        emit_struct_decl(o, m)
        o()
        o(f"[[nodiscard]] Status Encode(const {m.name}& message, int16_t version, Writer& writer);")
        o(f"[[nodiscard]] Status DecodeInto(Reader& reader, int16_t version, {m.name}& message);")
        for s in [m] + m.nested():
            o(f"std::ostream& operator<<(std::ostream& os, const {s.qualified}& value);")
        o()
    for kind, alias in (("request", "RequestTypes"), ("response", "ResponseTypes"),
                        ("data", "DataTypes"), ("header", "HeaderTypes")):
        names = [m.name for m in messages if m.kind == kind]
        o(f"using {alias} = std::tuple<{', '.join(names)}>;")
    o()
    o("}  // namespace brook::protocol")
    return o.text()


def generate_messages_cc(messages, apis):
    o = Out()
    o("// Generated by src/protocol/gen/generate.py from src/protocol/schema/*.json. Do not edit.")
    o('#include "protocol/messages.h"')
    o()
    o("#include <algorithm>")
    o()
    o("namespace brook::protocol {")
    o()
    o("std::string_view ApiKeyName(ApiKey key) {")
    o("  for (const ApiInfo& api : kApis) {")
    o("    if (api.key == key) return api.name;")
    o("  }")
    o("  return \"Unknown\";")
    o("}")
    o()
    o("namespace {")
    o()
    o("// Arrays grow as elements are decoded; never reserve more than this up front.")
    o("constexpr size_t kMaxReserve = 1024;")
    o()
    o("Status UnsupportedVersion(std::string_view name, int16_t version, int16_t min, "
      "int16_t max) {")
    o("  return Status::InvalidArgument(std::string(name) + \": version \" + "
      "std::to_string(version) +")
    o("                                 \" is not supported (brook implements \" + "
      "std::to_string(min) + \"-\" +")
    o("                                 std::to_string(max) + \")\");")
    o("}")
    o()
    o("std::string Context(std::string_view name, int16_t version) {")
    o("  return std::string(name) + \" v\" + std::to_string(version);")
    o("}")
    o()
    all_structs = []
    for m in messages:
        all_structs.extend(m.nested())
        all_structs.append(m)
    for s in all_structs:
        emit_encode_struct(o, s)
        emit_decode_struct(o, s)
    o("}  // namespace")
    o()
    for m in messages:
        o(f"Status Encode(const {m.name}& message, int16_t version, Writer& writer) {{")
        o(f"  if (version < {m.name}::kMinVersion || version > {m.name}::kMaxVersion) {{")
        o(f"    return UnsupportedVersion({m.name}::kName, version, {m.name}::kMinVersion,")
        o(f"                              {m.name}::kMaxVersion);")
        o("  }")
        o("  const size_t start = writer.size();")
        o(f"  Status status = Encode{m.func}(message, version, writer);")
        o("  if (!status.ok()) {")
        o("    writer.Truncate(start);")
        o(f"    return status.WithContext(Context({m.name}::kName, version));")
        o("  }")
        o("  return status;")
        o("}")
        o()
        o(f"Status DecodeInto(Reader& reader, int16_t version, {m.name}& message) {{")
        o(f"  if (version < {m.name}::kMinVersion || version > {m.name}::kMaxVersion) {{")
        o(f"    return UnsupportedVersion({m.name}::kName, version, {m.name}::kMinVersion,")
        o(f"                              {m.name}::kMaxVersion);")
        o("  }")
        o(f"  message = {m.name}{{}};")
        o(f"  Status status = Decode{m.func}(reader, version, message);")
        o(f"  if (!status.ok()) return status.WithContext(Context({m.name}::kName, version));")
        o("  return status;")
        o("}")
        o()
        for s in [m] + m.nested():
            emit_print_struct(o, s)
    o("}  // namespace brook::protocol")
    return o.text()


# ---------------------------------------------------------------------------------------
# Samples for tests


def emit_sample_struct(o, s):
    msg = s.msg
    o(f"{s.qualified} Sample{s.func}([[maybe_unused]] int16_t version, SampleKind kind, "
      "[[maybe_unused]] int salt) {")
    o.indent += 1
    o(f"{s.qualified} value;")
    # Minimal: nullable fields null, everything else default.
    o.block("if (kind == SampleKind::kMinimal)")
    for f in s.fields:
        if not f.is_nullable:
            continue
        ncond = f.nullable_present.cond(s.within)
        if ncond is None:
            o(f"value.{f.name} = std::nullopt;")
        else:
            o(f"if ({ncond}) value.{f.name} = std::nullopt;")
    o("return value;")
    o.end()
    for idx, f in enumerate(s.fields):
        cond = f.present.cond(s.within)
        if cond is not None:
            o.block(f"if ({cond})")
        target = f"value.{f.name}"
        base = (idx + 1) * 7
        if f.is_array:
            count = 2 if f.struct is not None else 3
            if f.is_nullable:
                o(f"{target}.emplace();")
                ref = f"(*{target})"
            else:
                ref = target
            for k in range(1, count + 1):
                o(f"{ref}.push_back({sample_elem(f, base, k)});")
        else:
            o(f"{target} = {sample_scalar(f, f.elem, base, 'salt')};")
        if cond is not None:
            o.end()
    o("return value;")
    o.end()
    o()


def sample_scalar(f, elem, base, salt):
    if elem == "string":
        return f"\"{f.name}-\" + std::to_string({salt})"
    if elem == "bytes":
        return f"Bytes{{0xb0, {base % 256}, static_cast<uint8_t>({salt}), 0x7f}}"
    if elem == "bool":
        return "false" if f.scalar_default() == "true" else "true"
    if elem == "uuid":
        return (f"Uuid{{static_cast<uint8_t>({salt}), {base % 256}, 1, 2, 3, 4, 5, 6, 7, 8, 9, "
                "10, 11, 12, 13, 14}")
    if elem == "float64":
        return f"{base}.5 + {salt}"
    ctype = PRIMITIVES[elem][0]
    mod = INT_RANGES[elem]
    return f"static_cast<{ctype}>(({base} + {salt}) % {mod} + 1)"


def sample_elem(f, base, k):
    salt = f"salt * 10 + {k}"
    if f.struct is not None:
        return f"Sample{f.struct.func}(version, kind, {salt})"
    return sample_scalar(f, f.elem, base, salt)


def generate_testing_h(messages):
    o = Out()
    o("// Generated by src/protocol/gen/generate.py from src/protocol/schema/*.json. Do not edit.")
    o("//")
    o("// Sample messages for tests, fuzz seeds and examples. Sample<T>(version, kFull) sets")
    o("// every field present in that version to a non-default value (nullable ones non-null,")
    o("// arrays with 2-3 elements, tagged fields set); kMinimal leaves defaults and sets every")
    o("// field nullable in that version to null. Thread-safety: pure functions.")
    o("#pragma once")
    o()
    o("#include <cstdint>")
    o()
    o('#include "protocol/messages.h"')
    o()
    o("namespace brook::protocol::testing {")
    o()
    o("enum class SampleKind { kFull, kMinimal };")
    o()
    o("template <typename T>")
    o("T Sample(int16_t version, SampleKind kind = SampleKind::kFull);")
    o()
    for m in messages:
        o("template <>")
        o(f"{m.name} Sample<{m.name}>(int16_t version, SampleKind kind);")
    o()
    o("}  // namespace brook::protocol::testing")
    return o.text()


def generate_testing_cc(messages):
    o = Out()
    o("// Generated by src/protocol/gen/generate.py from src/protocol/schema/*.json. Do not edit.")
    o('#include "protocol/messages_testing.h"')
    o()
    o("#include <string>")
    o()
    o("namespace brook::protocol::testing {")
    o()
    o("namespace {")
    o()
    for m in messages:
        for s in m.nested() + [m]:
            emit_sample_struct(o, s)
    o("}  // namespace")
    o()
    for m in messages:
        o("template <>")
        o(f"{m.name} Sample<{m.name}>(int16_t version, SampleKind kind) {{")
        o(f"  return Sample{m.func}(version, kind, 1);")
        o("}")
        o()
    o("}  // namespace brook::protocol::testing")
    return o.text()


# ---------------------------------------------------------------------------------------
# Error codes


def generate_errors(rows):
    h = Out()
    h("// Generated by src/protocol/gen/generate.py from src/protocol/schema/error_codes.json.")
    h("// Do not edit.")
    h("//")
    h("// Kafka's error codes (org.apache.kafka.common.protocol.Errors). Message fields keep")
    h("// error codes as int16_t (a broker may send codes newer than this table); compare them")
    h("// with ErrorCode values directly (resp.error_code == ErrorCode::kNotCoordinator) or")
    h("// switch on static_cast<ErrorCode>(resp.error_code). Thread-safety: pure functions.")
    h("#pragma once")
    h()
    h("#include <cstdint>")
    h("#include <string>")
    h("#include <string_view>")
    h()
    h("namespace brook::protocol {")
    h()
    h("enum class ErrorCode : int16_t {")
    for code, name, _ in rows:
        h(f"  k{camel(name.lower())} = {code},")
    h("};")
    h()
    h("constexpr bool operator==(ErrorCode a, int16_t b) { return static_cast<int16_t>(a) == b; }")
    h()
    h("// \"NOT_COORDINATOR\"; \"UNKNOWN_ERROR_CODE\" for codes not in the table.")
    h("std::string_view ErrorCodeName(int16_t code);")
    h("inline std::string_view ErrorCodeName(ErrorCode code) {")
    h("  return ErrorCodeName(static_cast<int16_t>(code));")
    h("}")
    h("// \"NOT_COORDINATOR (16)\".")
    h("std::string DescribeErrorCode(int16_t code);")
    h("// True when Kafka's Java client treats the error as retriable (e.g.")
    h("// COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR); false for unknown codes.")
    h("bool IsRetriableError(int16_t code);")
    h("inline bool IsRetriableError(ErrorCode code) {")
    h("  return IsRetriableError(static_cast<int16_t>(code));")
    h("}")
    h()
    h("}  // namespace brook::protocol")

    c = Out()
    c("// Generated by src/protocol/gen/generate.py from src/protocol/schema/error_codes.json.")
    c("// Do not edit.")
    c('#include "protocol/error_codes.h"')
    c()
    c("namespace brook::protocol {")
    c()
    c("std::string_view ErrorCodeName(int16_t code) {")
    c("  switch (code) {")
    for code, name, _ in rows:
        c(f"    case {code}:")
        c(f"      return {cpp_string(name)};")
    c("    default:")
    c("      return \"UNKNOWN_ERROR_CODE\";")
    c("  }")
    c("}")
    c()
    c("std::string DescribeErrorCode(int16_t code) {")
    c("  std::string s(ErrorCodeName(code));")
    c("  s += \" (\";")
    c("  s += std::to_string(code);")
    c("  s += ')';")
    c("  return s;")
    c("}")
    c()
    c("bool IsRetriableError(int16_t code) {")
    c("  switch (code) {")
    for code, _, retriable in rows:
        if retriable:
            c(f"    case {code}:")
    c("      return true;")
    c("    default:")
    c("      return false;")
    c("  }")
    c("}")
    c()
    c("}  // namespace brook::protocol")
    return h.text(), c.text()


# ---------------------------------------------------------------------------------------


def load(schema_dir):
    messages = []
    apis = {}
    errors = None
    for fname in sorted(os.listdir(schema_dir)):
        if not fname.endswith(".json"):
            continue
        data = load_json(os.path.join(schema_dir, fname))
        if "error_codes" in data:
            errors = [(int(c), n, bool(r)) for c, n, r in data["error_codes"]]
            continue
        for spec in data["messages"]:
            m = Message(spec, data)
            m.build()
            messages.append(m)
            if m.kind in ("request", "response"):
                entry = apis.setdefault(m.api, [m.api, m.api_key, None, None])
                entry[2 if m.kind == "request" else 3] = m
    for api, key, req, resp in apis.values():
        if req is None or resp is None:
            raise SchemaError(f"{api}: needs both a request and a response")
        if (req.valid.lo, req.valid.hi) != (resp.valid.lo, resp.valid.hi):
            raise SchemaError(f"{api}: request and response versions differ")
        if req.flexible.lo != resp.flexible.lo:
            raise SchemaError(f"{api}: request and response flexible versions differ")
    if errors is None:
        raise SchemaError("no error_codes.json")
    order = {"header": 0, "request": 1, "response": 1, "data": 2}
    messages.sort(key=lambda m: (order[m.kind], m.api_key or 0, m.kind != "request", m.name))
    return messages, [tuple(a) for a in apis.values()], errors


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schema-dir", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--no-clang-format", action="store_true",
                    help="do not pretty-print the output with clang-format")
    args = ap.parse_args()
    try:
        messages, apis, errors = load(args.schema_dir)
    except (SchemaError, KeyError) as e:
        print(f"generate.py: schema error: {e}", file=sys.stderr)
        return 1
    out = os.path.join(args.out_dir, "protocol")
    os.makedirs(out, exist_ok=True)
    eh, ec = generate_errors(errors)
    files = {
        "messages.h": generate_messages_h(messages, apis),
        "messages.cc": generate_messages_cc(messages, apis),
        "messages_testing.h": generate_testing_h(messages),
        "messages_testing.cc": generate_testing_cc(messages),
        "error_codes.h": eh,
        "error_codes.cc": ec,
    }
    clang_format = None if args.no_clang_format else shutil.which("clang-format")
    for name, text in files.items():
        if clang_format:
            # Cosmetic only: the code compiles the same either way.
            style_anchor = os.path.join(os.path.abspath(args.schema_dir), "..", name)
            proc = subprocess.run(
                [clang_format, "--style=file", f"--assume-filename={style_anchor}"],
                input=text, capture_output=True, text=True, check=False)
            if proc.returncode == 0:
                text = proc.stdout
        write_if_changed(os.path.join(out, name), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
