-- Replays a policy workload exported by `policy-gg export` on Gluu Gateway's own Lua: its path
-- wildcard tree (lib/gluu/path-wildcard-tree.lua) and the JSON-logic library gluu-oauth-pep
-- uses (rucciva/json-logic-lua, required as "rucciva.json_logic"). This file contains none of
-- Gluu Gateway's code: it loads it from the directory given with --gg (see README.md).
--
--   luajit gg_policy.lua --gg DIR --workload FILE.json [--passes N]
--
-- First it checks that every decision equals gatecheck's (the workload carries them), then it
-- decides every request N times and prints the median ns per decision over the passes.
--
-- What stands in for OpenResty: `ngx.re.match(subject, regex, "jo")` is PCRE2 through the FFI
-- with JIT and a compile-once cache (what "jo" asks of OpenResty), returning the same captures
-- table; `print`, which GG calls on every `?` match (a NOTICE line in nginx's error log), does
-- nothing. Regex data entries (`^...`, spontaneous scopes) are evaluated as Gluu Gateway 4.2
-- documents: a regex searched in each token scope, its PC1..PC9 named groups compared with the
-- path captures.

local ffi = require "ffi"
local cjson = require "cjson"

local args = {}
do
    local i = 1
    while i <= #arg do
        local k = arg[i]:match("^%-%-(.+)$")
        if not k then error("unexpected argument " .. arg[i]) end
        args[k] = arg[i + 1]
        i = i + 2
    end
end
assert(args.gg and args.workload, "usage: luajit gg_policy.lua --gg DIR --workload FILE.json [--passes N]")
local passes = tonumber(args.passes or "20")
package.path = args.gg .. "/lib/?.lua;" .. package.path

-- ---- ngx.re.match over PCRE2 -----------------------------------------------------------------
ffi.cdef [[
typedef struct pcre2_code_8 pcre2_code;
typedef struct pcre2_match_data_8 pcre2_match_data;
pcre2_code *pcre2_compile_8(const unsigned char *, size_t, uint32_t, int *, size_t *, void *);
int pcre2_jit_compile_8(pcre2_code *, uint32_t);
pcre2_match_data *pcre2_match_data_create_from_pattern_8(const pcre2_code *, void *);
int pcre2_match_8(const pcre2_code *, const unsigned char *, size_t, size_t, uint32_t,
                  pcre2_match_data *, void *);
size_t *pcre2_get_ovector_pointer_8(pcre2_match_data *);
int pcre2_pattern_info_8(const pcre2_code *, uint32_t, void *);
]]
local pcre = ffi.load("libpcre2-8.so.0")
local INFO_CAPTURECOUNT, INFO_NAMECOUNT, INFO_NAMEENTRYSIZE, INFO_NAMETABLE = 4, 17, 18, 19
local JIT_COMPLETE = 1
local UNSET = ffi.cast("size_t", -1)

local compiled = {}
local function compile(regex)
    local errcode, erroffset = ffi.new("int[1]"), ffi.new("size_t[1]")
    local code = pcre.pcre2_compile_8(regex, #regex, 0, errcode, erroffset, nil)
    if code == nil then error("cannot compile " .. regex) end
    pcre.pcre2_jit_compile_8(code, JIT_COMPLETE)
    local n = ffi.new("uint32_t[1]")
    pcre.pcre2_pattern_info_8(code, INFO_CAPTURECOUNT, n)
    local c = { code = code, md = pcre.pcre2_match_data_create_from_pattern_8(code, nil),
                groups = n[0], names = {} }
    pcre.pcre2_pattern_info_8(code, INFO_NAMECOUNT, n)
    local count = n[0]
    if count > 0 then
        pcre.pcre2_pattern_info_8(code, INFO_NAMEENTRYSIZE, n)
        local size = n[0]
        local tbl = ffi.new("unsigned char *[1]")
        pcre.pcre2_pattern_info_8(code, INFO_NAMETABLE, tbl)
        for e = 0, count - 1 do
            local entry = tbl[0] + e * size
            c.names[#c.names + 1] = { entry[0] * 256 + entry[1], ffi.string(entry + 2) }
        end
    end
    compiled[regex] = c
    return c
end

_G.ngx = {
    re = {
        match = function(subject, regex, _)
            local c = compiled[regex] or compile(regex)
            local rc = pcre.pcre2_match_8(c.code, subject, #subject, 0, 0, c.md, nil)
            if rc < 0 then
                if rc == -1 then return nil end
                return nil, "pcre2_match error " .. rc
            end
            local ov = pcre.pcre2_get_ovector_pointer_8(c.md)
            local m = { [0] = subject:sub(tonumber(ov[0]) + 1, tonumber(ov[1])) }
            for g = 1, c.groups do
                if ov[2 * g] == UNSET then
                    m[g] = false
                else
                    m[g] = subject:sub(tonumber(ov[2 * g]) + 1, tonumber(ov[2 * g + 1]))
                end
            end
            for _, name in ipairs(c.names) do m[name[2]] = m[name[1]] end
            return m
        end,
    },
}
_G.print = function() end

local tree_lib = require "gluu.path-wildcard-tree"
local logic = require "rucciva.json_logic"

-- ---- gluu-oauth-pep's decision ------------------------------------------------------------
local array_mt = {}
local function is_array(t) return getmetatable(t) == array_mt end
local function mark_as_array(t) return setmetatable(t, array_mt) end

local function entry_value(entry, scopes, captures)
    if entry:sub(1, 1) ~= "^" then
        for i = 1, #scopes do
            if scopes[i] == entry then return true end
        end
        return false
    end
    for i = 1, #scopes do
        local m = ngx.re.match(scopes[i], entry, "jo")
        if m then
            if not captures or #captures == 0 then return true end
            local agrees = true
            for k = 1, 9 do
                local v = m["PC" .. k]
                if v ~= nil and v ~= captures[k] then
                    agrees = false
                    break
                end
            end
            if agrees then return true end
        end
    end
    return false
end

local function decide(tree, request)
    local exp, captures = tree_lib.matchPath(tree, request.method, request.path)
    if not exp then return nil end
    local se = exp.scope_expression
    local data = {}
    for i = 1, #se.data do
        data[#data + 1] = entry_value(se.data[i], request.scopes, captures)
    end
    local result = logic.apply(se.rule, mark_as_array(data),
        { is_array = is_array, mark_as_array = mark_as_array })
    return result and result ~= cjson.null and true or false
end

-- ---- replay --------------------------------------------------------------------------------
local f = assert(io.open(args.workload))
local w = cjson.decode(f:read("*a"))
f:close()
local tree = tree_lib.convert_scope_expression_to_path_wildcard_tree(w.document)
local requests = w.requests

local mismatches = 0
for i = 1, #requests do
    local got = decide(tree, requests[i])
    local want = w.expected[i]
    if want == cjson.null then want = nil end
    if got ~= want then
        mismatches = mismatches + 1
        if mismatches <= 5 then
            io.stderr:write(string.format("differs: %s %s -> GG %s, gatecheck %s\n",
                requests[i].method, requests[i].path, tostring(got), tostring(want)))
        end
    end
end
if mismatches > 0 then
    io.stderr:write(mismatches .. " of " .. #requests .. " decisions differ from gatecheck's\n")
    os.exit(1)
end

ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } timespec_t;
int clock_gettime(int, timespec_t *);
]]
local ts = ffi.new("timespec_t")
local function now_ns()
    ffi.C.clock_gettime(1, ts)
    return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end

local per_pass, allowed = {}, 0
for pass = 0, passes do
    local start = now_ns()
    for i = 1, #requests do
        if decide(tree, requests[i]) then allowed = allowed + 1 end
    end
    if pass > 0 then per_pass[#per_pass + 1] = (now_ns() - start) / #requests end
end
table.sort(per_pass)
print = io.write
io.write(string.format("rules=%d requests=%d passes=%d median_ns_per_decision=%.1f allowed=%d\n",
    #w.document, #requests, passes, per_pass[math.floor(#per_pass / 2) + 1], allowed))
