//! The geo family over the wire: scores and positions as 7.0.15 computes and
//! prints them (coordinates `%.17Lf` trimmed, a RESP3 double; distances `%.4f`,
//! a bulk string in both protocols), the searches with their options, the stores,
//! the error texts, and RELIABILITY.md's cases (a radius of 0, a huge or infinite
//! radius, COUNT at the i64 limit).

use crate::common::{array, bulk, err, int, Proto, Server};

const SICILY: &str = "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania";

fn coordinate(p: Proto, text: &str) -> String {
    match p {
        Proto::Resp2 => bulk(text),
        Proto::Resp3 => format!(",{text}\r\n"),
    }
}

fn position(p: Proto, lon: &str, lat: &str) -> String {
    array(&[coordinate(p, lon), coordinate(p, lat)])
}

fn nil_array(p: Proto) -> String {
    match p {
        Proto::Resp2 => "*-1\r\n".into(),
        Proto::Resp3 => "_\r\n".into(),
    }
}

fn bulks(items: &[&str]) -> String {
    array(&items.iter().map(|i| bulk(i)).collect::<Vec<_>>())
}

const PALERMO: (&str, &str) = ("13.36138933897018433", "38.11555639549629859");
const CATANIA: (&str, &str) = ("15.08726745843887329", "37.50266842333162032");

fn positions_hashes_and_distances(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect(SICILY, int(2));
    c.expect("ZSCORE Sicily Palermo", coordinate(p, "3479099956230698"));
    c.expect(
        "GEOPOS Sicily Palermo nope Catania",
        array(&[position(p, PALERMO.0, PALERMO.1), nil_array(p), position(p, CATANIA.0, CATANIA.1)]),
    );
    c.expect("GEOPOS nokey a", array(&[nil_array(p)]));
    c.expect(
        "GEOHASH Sicily Palermo Catania nope",
        array(&[bulk("sqc8b49rny0"), bulk("sqdtr74hyu0"), p.nil().into()]),
    );
    c.expect("GEODIST Sicily Palermo Catania", bulk("166274.1516"));
    c.expect("GEODIST Sicily Palermo Catania KM", bulk("166.2742"));
    c.expect("GEODIST Sicily Palermo Catania mi", bulk("103.3182"));
    c.expect("GEODIST Sicily Palermo Catania ft", bulk("545518.8700"));
    c.expect("GEODIST Sicily Palermo Palermo", bulk("0.0000"));
    c.expect("GEODIST Sicily Palermo nope", p.nil());
    c.expect("GEODIST nokey a b", p.nil());
    c.expect(
        "GEODIST Sicily Palermo Catania parsec",
        err("ERR unsupported unit provided. please use M, KM, FT, MI"),
    );
    c.expect("GEODIST Sicily Palermo Catania km x", err("ERR syntax error"));
}

fn geoadd_flags_and_errors(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect(SICILY, int(2));
    c.expect("GEOADD Sicily NX 13.5 38.2 Palermo 14 37 x", int(1));
    c.expect("GEOADD Sicily XX CH 13.5 38.2 Palermo 14 37 y", int(1));
    c.expect("GEOADD Sicily 200 100 z", err("ERR invalid longitude,latitude pair 200.000000,100.000000"));
    c.expect("GEOADD Sicily 1 85.06 z", err("ERR invalid longitude,latitude pair 1.000000,85.060000"));
    c.expect("GEOADD Sicily 1 nan z", err("ERR value is not a valid float"));
    c.expect("GEOADD Sicily NX XX 1 1 z", err("ERR syntax error"));
    c.expect("GEOADD Sicily GT 1 1", err("ERR value is not a valid float"));
    c.expect("GEOADD Sicily GT 1 1 z", err("ERR syntax error"));
    c.expect("GEOADD Sicily 1 1 z 2", err("ERR syntax error"));
    c.expect("GEOADD Sicily 180 85.05112878 edge", int(1));
    c.expect("ZCARD Sicily", int(4));
    c.expect("SET str v", "+OK\r\n");
    c.expect("GEOADD str 1 1 a", err("WRONGTYPE Operation against a key holding the wrong kind of value"));
    c.expect("GEOPOS str a", err("WRONGTYPE Operation against a key holding the wrong kind of value"));
}

fn searches(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect(SICILY, int(2));
    c.expect("GEORADIUS Sicily 15 37 200 km ASC", bulks(&["Catania", "Palermo"]));
    c.expect("GEORADIUS Sicily 15 37 200 km DESC COUNT 1", bulks(&["Palermo"]));
    c.expect(
        "GEORADIUS Sicily 15 37 200 km WITHDIST WITHHASH WITHCOORD ASC",
        array(&[
            array(&[
                bulk("Catania"),
                bulk("56.4413"),
                int(3479447370796909),
                position(p, CATANIA.0, CATANIA.1),
            ]),
            array(&[
                bulk("Palermo"),
                bulk("190.4424"),
                int(3479099956230698),
                position(p, PALERMO.0, PALERMO.1),
            ]),
        ]),
    );
    c.expect("GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km", bulks(&["Palermo"]));
    c.expect("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC", bulks(&["Catania", "Palermo"]));
    c.expect("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 200 200 km", bulks(&["Catania"]));
    c.expect("GEORADIUSBYMEMBER Sicily Catania 170 km DESC", bulks(&["Palermo", "Catania"]));
    c.expect("GEORADIUSBYMEMBER_RO Sicily Catania 1 m", bulks(&["Catania"]));
    c.expect("GEOSEARCH nokey FROMMEMBER x BYRADIUS 1 km", "*0\r\n");
    c.expect("GEOSEARCH Sicily FROMLONLAT 0 0 BYRADIUS 1 km", "*0\r\n");
}

fn search_errors(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect(SICILY, int(2));
    let e = |text: &str| err(&format!("ERR {text}"));
    c.expect("GEORADIUS Sicily 15 37 -1 km", e("radius cannot be negative"));
    c.expect("GEORADIUS Sicily 15 37 x km", e("need numeric radius"));
    c.expect("GEORADIUS Sicily 15 37 1 parsec", e("unsupported unit provided. please use M, KM, FT, MI"));
    c.expect("GEORADIUS Sicily 15 37 1 km COUNT 0", e("COUNT must be > 0"));
    c.expect("GEORADIUS Sicily 15 37 1 km COUNT x", e("value is not an integer or out of range"));
    c.expect("GEORADIUS Sicily 15 37 1 km ANY", e("the ANY argument requires COUNT argument"));
    c.expect("GEORADIUS Sicily 15 37 1 km COUNT", e("syntax error"));
    c.expect("GEORADIUS_RO Sicily 15 37 1 km STORE d", e("syntax error"));
    c.expect(
        "GEORADIUS Sicily 15 37 1 km STORE d WITHDIST",
        e("STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    );
    c.expect(
        "GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHCOORD",
        e("GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    );
    c.expect("GEORADIUSBYMEMBER Sicily nope 1 km", e("could not decode requested zset member"));
    c.expect(
        "geosearch Sicily BYRADIUS 1 km ASC WITHDIST",
        e("exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"),
    );
    c.expect(
        "GEOSEARCH Sicily FROMLONLAT 1 1 ASC WITHDIST",
        e("exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"),
    );
    c.expect("GEOSEARCH Sicily FROMLONLAT 1 1 FROMMEMBER Palermo BYRADIUS 1 km", e("syntax error"));
    c.expect("GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX 1 -1 km", e("height or width cannot be negative"));
    c.expect("GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX x 1 km", e("need numeric width"));
    c.expect("GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX 1 x km", e("need numeric height"));
    c.expect(
        "GEOSEARCH Sicily FROMLONLAT 181 1 BYRADIUS 1 km",
        e("invalid longitude,latitude pair 181.000000,1.000000"),
    );
    c.expect("GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1 km STORE d", e("syntax error"));
}

fn stores(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect(SICILY, int(2));
    c.expect("GEORADIUS Sicily 15 37 200 km STORE d", int(2));
    c.expect("ZRANGE d 0 -1", bulks(&["Palermo", "Catania"]));
    c.expect("GEOPOS d Catania", array(&[position(p, CATANIA.0, CATANIA.1)]));
    c.expect("GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST DESC COUNT 1", int(1));
    c.expect("ZSCORE d Palermo", coordinate(p, "190.44242984775784"));
    c.expect("GEORADIUSBYMEMBER Sicily Palermo 1 km STOREDIST d", int(1));
    c.expect("ZSCORE d Palermo", coordinate(p, "0"));
    c.expect("GEOSEARCHSTORE d Sicily FROMLONLAT 0 0 BYRADIUS 1 m", int(0));
    c.expect("EXISTS d", int(0));
    c.expect("SET d x", "+OK\r\n");
    c.expect("GEORADIUSBYMEMBER nokey x 1 km STORE d", int(0));
    c.expect("EXISTS d", int(0));
}

/// RELIABILITY.md: a radius of 0 finds exactly the points at the centre; a huge or
/// infinite radius finds every point, with the work bounded by the set; COUNT at
/// the i64 limit is just "all".
fn radius_zero_huge_and_count_limits(p: Proto) {
    let s = Server::start();
    let mut c = s.raw_proto(p);
    c.expect(SICILY, int(2));
    c.expect("GEOADD Sicily 13.361389 38.115556 Twin", int(1));
    c.expect("GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 0 m ASC", bulks(&["Palermo", "Twin"]));
    c.expect("GEOSEARCH Sicily FROMLONLAT 0 0 BYBOX 0 0 m", "*0\r\n");
    for radius in ["1e300", "inf", "40000"] {
        c.expect(
            &format!(
                "GEOSEARCH Sicily FROMLONLAT -100 -60 BYRADIUS {radius} km ASC COUNT 9223372036854775807"
            ),
            bulks(&["Palermo", "Twin", "Catania"]),
        );
    }
    c.expect(
        "GEOSEARCH Sicily FROMLONLAT 0 0 BYBOX inf inf km COUNT 2 ANY",
        "*2\r\n$7\r\nPalermo\r\n$4\r\nTwin\r\n",
    );
    c.expect(
        "GEOSEARCH Sicily FROMLONLAT 0 0 BYRADIUS 1 km COUNT 9223372036854775808",
        err("ERR value is not an integer or out of range"),
    );
}

both_protocols!(
    positions_hashes_and_distances,
    geoadd_flags_and_errors,
    searches,
    search_errors,
    stores,
    radius_zero_huge_and_count_limits,
);
