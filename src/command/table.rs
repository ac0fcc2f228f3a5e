//! The command table: every command the server knows, with its arity, flags and key
//! positions as Redis 7 declares them (so `COMMAND INFO` and client hints agree).

use super::flags::{ADMIN, CONNECTION, DENYOOM, FAST, NO_AUTH, READONLY, WRITE};
use super::{admin, expire, info, keys, object, server, string, transaction, CommandSpec, Handler};

const fn spec(
    name: &'static str,
    arity: i32,
    flags: u8,
    keys: (i32, i32, i32),
    handler: Handler,
) -> CommandSpec {
    CommandSpec { name, arity, flags, first_key: keys.0, last_key: keys.1, key_step: keys.2, handler }
}

/// No key arguments.
const NONE: (i32, i32, i32) = (0, 0, 0);
/// One key, the first argument.
const ONE: (i32, i32, i32) = (1, 1, 1);
/// Every argument is a key.
const ALL: (i32, i32, i32) = (1, -1, 1);
/// Key, value pairs.
const PAIRS: (i32, i32, i32) = (1, -1, 2);

/// Every command, by name.
pub static COMMANDS: &[CommandSpec] = &[
    // Strings.
    spec("get", 2, READONLY | FAST, ONE, string::get),
    spec("set", -3, WRITE | DENYOOM, ONE, string::set),
    spec("setnx", 3, WRITE | DENYOOM | FAST, ONE, string::setnx),
    spec("setex", 4, WRITE | DENYOOM, ONE, string::setex),
    spec("psetex", 4, WRITE | DENYOOM, ONE, string::psetex),
    spec("getset", 3, WRITE | DENYOOM | FAST, ONE, string::getset),
    spec("getdel", 2, WRITE | FAST, ONE, string::getdel),
    spec("getex", -2, WRITE | FAST, ONE, string::getex),
    spec("mset", -3, WRITE | DENYOOM, PAIRS, string::mset),
    spec("msetnx", -3, WRITE | DENYOOM, PAIRS, string::msetnx),
    spec("mget", -2, READONLY | FAST, ALL, string::mget),
    spec("strlen", 2, READONLY | FAST, ONE, string::strlen),
    spec("append", 3, WRITE | DENYOOM | FAST, ONE, string::append),
    spec("getrange", 4, READONLY, ONE, string::getrange),
    spec("substr", 4, READONLY, ONE, string::getrange),
    spec("setrange", 4, WRITE | DENYOOM, ONE, string::setrange),
    spec("incr", 2, WRITE | DENYOOM | FAST, ONE, string::incr),
    spec("decr", 2, WRITE | DENYOOM | FAST, ONE, string::decr),
    spec("incrby", 3, WRITE | DENYOOM | FAST, ONE, string::incrby),
    spec("decrby", 3, WRITE | DENYOOM | FAST, ONE, string::decrby),
    spec("incrbyfloat", 3, WRITE | DENYOOM | FAST, ONE, string::incrbyfloat),
    // Keys and databases.
    spec("del", -2, WRITE, ALL, keys::del),
    spec("unlink", -2, WRITE | FAST, ALL, keys::del),
    spec("exists", -2, READONLY | FAST, ALL, keys::exists),
    spec("type", 2, READONLY | FAST, ONE, keys::type_of),
    spec("dbsize", 1, READONLY | FAST, NONE, keys::dbsize),
    spec("flushdb", -1, WRITE, NONE, keys::flushdb),
    spec("flushall", -1, WRITE, NONE, keys::flushall),
    spec("select", 2, FAST | CONNECTION, NONE, keys::select),
    spec("move", 3, WRITE | FAST, ONE, keys::move_key),
    spec("swapdb", 3, WRITE | FAST, NONE, keys::swapdb),
    spec("rename", 3, WRITE, (1, 2, 1), keys::rename),
    spec("renamenx", 3, WRITE | FAST, (1, 2, 1), keys::renamenx),
    spec("copy", -3, WRITE | DENYOOM, (1, 2, 1), keys::copy),
    spec("touch", -2, READONLY | FAST, ALL, keys::touch),
    spec("randomkey", 1, READONLY, NONE, keys::randomkey),
    spec("keys", 2, READONLY, NONE, keys::keys),
    spec("scan", -2, READONLY, NONE, keys::scan),
    // Expiry.
    spec("expire", -3, WRITE | FAST, ONE, expire::expire),
    spec("pexpire", -3, WRITE | FAST, ONE, expire::pexpire),
    spec("expireat", -3, WRITE | FAST, ONE, expire::expireat),
    spec("pexpireat", -3, WRITE | FAST, ONE, expire::pexpireat),
    spec("persist", 2, WRITE | FAST, ONE, expire::persist),
    spec("ttl", 2, READONLY | FAST, ONE, expire::ttl),
    spec("pttl", 2, READONLY | FAST, ONE, expire::pttl),
    spec("expiretime", 2, READONLY | FAST, ONE, expire::expiretime),
    spec("pexpiretime", 2, READONLY | FAST, ONE, expire::pexpiretime),
    // Connection and server.
    spec("ping", -1, FAST | CONNECTION, NONE, server::ping),
    spec("echo", 2, FAST | CONNECTION, NONE, server::echo),
    spec("quit", -1, FAST | NO_AUTH | CONNECTION, NONE, server::quit),
    spec("auth", -2, FAST | NO_AUTH | CONNECTION, NONE, server::auth),
    spec("hello", -1, FAST | NO_AUTH | CONNECTION, NONE, server::hello),
    spec("client", -2, CONNECTION, NONE, server::client),
    spec("command", -1, CONNECTION, NONE, server::command),
    spec("config", -2, ADMIN, NONE, server::config),
    spec("info", -1, CONNECTION, NONE, info::info),
    spec("time", 1, FAST, NONE, server::time),
    spec("bgrewriteaof", 1, ADMIN, NONE, server::bgrewriteaof),
    spec("object", -2, READONLY, (2, 2, 1), object::object),
    spec("slowlog", -2, ADMIN, NONE, admin::slowlog),
    spec("shutdown", -1, ADMIN, NONE, admin::shutdown),
    spec("lastsave", 1, FAST, NONE, admin::lastsave),
    spec("debug", -2, ADMIN, NONE, admin::debug),
    spec("memory", -2, READONLY, NONE, object::memory),
    // Transactions.
    spec("multi", 1, FAST, NONE, transaction::multi),
    spec("exec", 1, 0, NONE, transaction::exec),
    spec("discard", 1, FAST, NONE, transaction::discard),
    spec("watch", -2, FAST, ALL, transaction::watch),
    spec("unwatch", 1, FAST, NONE, transaction::unwatch),
];
