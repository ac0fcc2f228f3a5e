//! The generator features, by the names `DIFF_SKIP` takes (`DIFF_SKIP=copy_db,swapdb`
//! turns those off). Every op of a family is a feature; a few finer ones switch off one
//! kind of case inside an op, so that a fix can be checked while another difference
//! is still open. Each reported difference names the feature that produced it.

/// Every feature, with what it generates.
pub const FEATURES: &[(&str, &str)] = &[
    // Both families.
    ("arity", "any command (but OBJECT) cut short, or given one argument more where the arity is fixed"),
    ("ttl", "TTL, PTTL, EXPIRETIME, PEXPIRETIME"),
    ("persist", "PERSIST"),
    ("deadline_max", "absolute expiries (PXAT, PEXPIREAT) at i64::MAX ms"),
    ("tiny_ttl", "a TTL of 1-5 ms (PEXPIRE, SET PX, PSETEX, GETEX PX), a 20 ms sleep, a lookup"),
    // strings.
    ("set", "SET with NX/XX, GET, EX/PX/EXAT/PXAT/KEEPTTL in any combination and order"),
    ("get", "GET"),
    ("getset", "GETSET"),
    ("getdel", "GETDEL"),
    ("getex", "GETEX with EX/PX/EXAT/PXAT/PERSIST"),
    ("setnx", "SETNX"),
    ("setex", "SETEX, PSETEX"),
    ("mset", "MSET, MSETNX"),
    ("mget", "MGET"),
    ("strlen", "STRLEN"),
    ("append", "APPEND"),
    ("getrange", "GETRANGE, SUBSTR"),
    ("setrange", "SETRANGE (no real huge strings)"),
    ("incr", "INCR, DECR, INCRBY, DECRBY"),
    ("counter_limits", "a counter set at an i64 limit, then a step that may overflow"),
    ("incrbyfloat", "INCRBYFLOAT where the arithmetic is exact in both"),
    (
        "incrbyfloat_hex",
        "INCRBYFLOAT on a hex value or by a hex increment (0x1f, 0x1p3), which strtold reads",
    ),
    // bits.
    ("bits_fill", "SET, APPEND of values of every shape"),
    ("bits_get", "GET (the bytes the bit commands left)"),
    ("setbit", "SETBIT with small offsets, far or bad ones, bad bits"),
    ("getbit", "GETBIT"),
    ("bitcount", "BITCOUNT [start end [BYTE|BIT]], broken arities"),
    ("bitpos", "BITPOS bit [start [end [BYTE|BIT]]]"),
    ("bitop", "BITOP AND|OR|XOR|NOT (and a bad op, NOT with several keys)"),
    ("bitfield", "BITFIELD / BITFIELD_RO: GET/SET/INCRBY of any type, # offsets, OVERFLOW, junk"),
    ("pfadd", "PFADD of a few or thousands of elements"),
    ("pfcount", "PFCOUNT of one to three keys"),
    ("pfmerge", "PFMERGE"),
    ("hll_raw", "GET of a HyperLogLog's raw bytes; a random byte corrupted, then PFCOUNT, PFADD"),
    ("lcs", "LCS with LEN, IDX, MINMATCHLEN, WITHMATCHLEN in any mix"),
    ("incrbyfloat_any", "INCRBYFLOAT of any number text on any value (long double, strtold)"),
    // keyspace.
    ("fill", "SET (sometimes with a TTL), MSET: keeps keys around"),
    ("del", "DEL, UNLINK"),
    ("exists", "EXISTS"),
    ("type", "TYPE"),
    ("rename", "RENAME, RENAMENX"),
    ("copy", "COPY [REPLACE]"),
    ("copy_db", "COPY ... DB n"),
    ("move", "MOVE"),
    ("swapdb", "SWAPDB"),
    ("select", "SELECT"),
    ("dbsize", "DBSIZE"),
    ("flushdb", "FLUSHDB [ASYNC|SYNC]"),
    ("keys", "KEYS with glob patterns"),
    ("keys_range_end", "KEYS with a class whose range ends at the closing bracket ([a-])"),
    ("keys_random_glob", "KEYS with random globs built from wildcards, brackets, ^, -, \\ and letters"),
    ("keys_only_stars", "KEYS ** and ***, which Redis does not match with the empty key"),
    ("randomkey", "RANDOMKEY"),
    ("touch", "TOUCH"),
    ("expire", "EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX/XX/GT/LT"),
    ("expire_option_order", "the EXPIRE family with a time that is no integer and an unknown option"),
    ("object", "OBJECT FREQ, OBJECT IDLETIME of a missing key, wrong arities"),
    ("object_help", "OBJECT HELP [extra]"),
    ("object_unknown", "OBJECT with an unknown subcommand, and no key or any key"),
    // hashes.
    ("hset", "HSET, HMSET with one to four pairs, sometimes a field short"),
    ("hsetnx", "HSETNX"),
    ("hget", "HGET, HEXISTS, HSTRLEN, HLEN, HMGET"),
    ("hdel", "HDEL of one to three fields"),
    ("hincrby", "HINCRBY by any integer text"),
    ("hincrby_limits", "a field set at an i64 limit, then an HINCRBY that may overflow"),
    ("hincrbyfloat", "HINCRBYFLOAT where the arithmetic is exact in both"),
    ("hgetall", "HGETALL, HKEYS, HVALS (compared in any order)"),
    ("hrandfield", "HRANDFIELD with counts of every sign and size (compared by the reply's shape)"),
    ("hscan", "HSCAN in one call with MATCH (pairs in any order), bad cursors and options"),
    ("hash_encoding", "OBJECT ENCODING of the hash keys (listpack until a value passes 64 bytes)"),
    ("hash_wrongtype", "SET over a hash key, a hash command on it (WRONGTYPE), DEL"),
    // sets.
    ("sadd", "SADD of a few members (integers canonical or not, words, binary, long ones)"),
    ("sadd_many", "SADD of 140 or 600 members at once (past the listpack or intset threshold)"),
    ("set_string", "SET over a key, so the set commands meet WRONGTYPE"),
    ("srem", "SREM"),
    ("smembers", "SMEMBERS (compared as a set)"),
    ("sismember", "SISMEMBER, SMISMEMBER"),
    ("scard", "SCARD"),
    ("spop_all", "SPOP with a count that takes the whole set, 0, or a bad count"),
    ("srandmember_all", "SRANDMEMBER with a count that takes the whole set, 0, or a bad count"),
    ("smove", "SMOVE (the same key twice too)"),
    ("set_algebra", "SINTER, SUNION, SDIFF of 1-4 keys (compared as sets)"),
    ("set_store", "SINTERSTORE, SUNIONSTORE, SDIFFSTORE"),
    ("sintercard", "SINTERCARD with LIMIT, bad numkeys and bad limits"),
    ("sscan_errors", "SSCAN with bad cursors and options"),
    // zsets.
    ("zadd", "ZADD with NX/XX/GT/LT/CH/INCR in any combination, good and bad scores"),
    ("zadd_many", "ZADD of 130 or 300 members at once (past the listpack threshold)"),
    ("zadd_lex", "ZADD of members at score 0 to the keys the lex commands use"),
    ("zset_other_types", "SET or SADD over a key, so the zset commands meet WRONGTYPE (or a set source)"),
    ("zincrby", "ZINCRBY (inf arithmetic, bad increments)"),
    ("zrem", "ZREM"),
    ("zscore", "ZSCORE, ZMSCORE, ZCARD"),
    ("zrank", "ZRANK, ZREVRANK"),
    ("zcount", "ZCOUNT, ZLEXCOUNT with random bounds"),
    ("zrange", "ZRANGE by rank, score or lex, REV, LIMIT, WITHSCORES, bad combinations"),
    ("zrange_old", "ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX"),
    ("zrangestore", "ZRANGESTORE, then the stored range"),
    ("zremrange", "ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX, then ZCARD"),
    ("zpop", "ZPOPMIN, ZPOPMAX with and without counts, ZMPOP"),
    ("zrandmember_all", "ZRANDMEMBER with a count that takes the whole set, or a bad count"),
    ("zset_algebra", "ZUNION, ZINTER, ZDIFF and their STORE forms, WEIGHTS, AGGREGATE"),
    ("zintercard", "ZINTERCARD with LIMIT, bad numkeys and bad limits"),
    // streams.
    ("xadd", "XADD with explicit, incomplete and <ms>-* ids (good, equal, smaller, bad), NOMKSTREAM"),
    ("xadd_trim", "XADD with MAXLEN/MINID, = or ~, LIMIT"),
    ("stream_string", "SET over a key, so the stream commands meet WRONGTYPE"),
    ("xrange", "XRANGE, XREVRANGE with random and exclusive bounds and COUNT, then XLEN"),
    ("xdel", "XDEL"),
    ("xtrim", "XTRIM with MAXLEN/MINID, = or ~, LIMIT"),
    ("xsetid", "XSETID with ENTRIESADDED and MAXDELETEDID"),
    ("xgroup", "XGROUP CREATE (MKSTREAM, ENTRIESREAD), SETID, DESTROY, CREATECONSUMER, DELCONSUMER"),
    ("xreadgroup", "XREADGROUP with > or an id, COUNT, NOACK, then XPENDING's summary"),
    ("xack", "XACK"),
    ("xclaim", "XCLAIM and XAUTOCLAIM with JUSTID (FORCE, LASTID, COUNT)"),
    ("xinfo_groups", "XINFO GROUPS (entries-read and lag)"),
    ("xread", "XREAD of two streams, ids or $"),
    // lists.
    ("lpush", "LPUSH, RPUSH of one to six elements (small integers, words, binary, long ones)"),
    ("lpush_many", "LPUSH, RPUSH of 200 or 1500 elements at once (several nodes)"),
    ("list_string", "SET over a key, so the list commands meet WRONGTYPE, or DEL"),
    ("lpushx", "LPUSHX, RPUSHX"),
    ("lpop", "LPOP, RPOP without a count, with a small one or any index text"),
    ("llen", "LLEN"),
    ("lrange", "LRANGE with indexes of every size and sign, i64 limits, junk"),
    ("lindex", "LINDEX"),
    ("lset", "LSET"),
    ("linsert", "LINSERT BEFORE|AFTER (and a bad place)"),
    ("lrem", "LREM with counts of either sign"),
    ("ltrim", "LTRIM"),
    ("lpos", "LPOS with RANK, COUNT, MAXLEN (and FOO) in any mix, values of every size"),
    ("lmove", "LMOVE (bad ends too), RPOPLPUSH, the same key twice too"),
    ("lmpop", "LMPOP with bad numkeys, ends and counts"),
];

/// Features off unless `DIFF_ENABLE` names them: differences that belong to another
/// issue (none today).
pub const OFF_BY_DEFAULT: &[&str] = &[];

/// Whether `name` is a feature.
pub fn is_known(name: &str) -> bool {
    FEATURES.iter().any(|(feature, _)| *feature == name)
}

/// The feature names, comma-separated (for error messages).
pub fn names() -> String {
    FEATURES.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}
