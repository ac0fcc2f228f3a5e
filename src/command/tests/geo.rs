//! The geo family's change records, checked against redis-server 7.0.15's keyspace
//! events: `GEOADD` is the `ZADD` of its computed scores (notified `zadd`, logged as
//! that `ZADD`), `GEOSEARCHSTORE` and `GEORADIUS … STORE` notify `new` then
//! `geosearchstore` / `georadiusstore` and are logged as given, an empty result
//! deletes the destination (`del`, logged `DEL`), and a refused position changes
//! nothing.

use super::changes::{logged, Case};

const SICILY: &str = "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania";

#[rustfmt::skip]
pub(super) static CASES: &[Case] = &[
    Case { command: "geoadd", setup: &[], run: "GEOADD g 13.361389 38.115556 Palermo", reply: ":1\r\n",
        records: &[logged(0, "ZADD g 3479099956230698 Palermo", &[(0, "g", "new"), (0, "g", "zadd")])] },
    Case { command: "geoadd", setup: &[SICILY], run: "GEOADD g XX CH 13.361389 38.2 Palermo", reply: ":1\r\n",
        records: &[logged(0, "ZADD g XX CH 3479101030759983 Palermo", &[(0, "g", "zadd")])] },
    Case { command: "geoadd", setup: &[SICILY], run: "GEOADD g NX 13.361389 38.2 Palermo", reply: ":0\r\n",
        records: &[] },
    Case { command: "geoadd", setup: &[], run: "GEOADD g 1 1 a 200 100 b",
        reply: "-ERR invalid longitude,latitude pair 200.000000,100.000000\r\n", records: &[] },
    Case { command: "geoadd", setup: &[], run: "GEOADD g NX XX 1 1 a", reply: "-ERR syntax error\r\n", records: &[] },
    Case { command: "geosearchstore", setup: &[SICILY], run: "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km",
        reply: ":2\r\n",
        records: &[logged(0, "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km",
            &[(0, "d", "new"), (0, "d", "geosearchstore")])] },
    Case { command: "geosearchstore", setup: &[SICILY, "SET d x"],
        run: "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 1 m", reply: ":0\r\n",
        records: &[logged(0, "DEL d", &[(0, "d", "del")])] },
    Case { command: "geosearchstore", setup: &["SET d x"], run: "GEOSEARCHSTORE d nokey FROMLONLAT 15 37 BYRADIUS 1 m",
        reply: ":0\r\n", records: &[logged(0, "DEL d", &[(0, "d", "del")])] },
    Case { command: "georadius", setup: &[SICILY], run: "GEORADIUS g 15 37 200 km STOREDIST d", reply: ":2\r\n",
        records: &[logged(0, "GEORADIUS g 15 37 200 km STOREDIST d", &[(0, "d", "new"), (0, "d", "georadiusstore")])] },
    Case { command: "georadius", setup: &[SICILY], run: "GEORADIUS g 15 37 200 km",
        reply: "*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n", records: &[] },
    Case { command: "georadiusbymember", setup: &[SICILY], run: "GEORADIUSBYMEMBER g Palermo 10 km STORE d",
        reply: ":1\r\n",
        records: &[logged(0, "GEORADIUSBYMEMBER g Palermo 10 km STORE d",
            &[(0, "d", "new"), (0, "d", "georadiusstore")])] },
    Case { command: "georadiusbymember", setup: &[SICILY], run: "GEORADIUSBYMEMBER g nope 10 km STORE d",
        reply: "-ERR could not decode requested zset member\r\n", records: &[] },
];
