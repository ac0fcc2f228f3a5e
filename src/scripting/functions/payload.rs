//! `FUNCTION DUMP`'s payload, in Redis 7.0's format, so a dump moves between
//! FerrumKV and redis-server either way: for each library the opcode 245
//! (`RDB_OPCODE_FUNCTION2`) and its code as an RDB string, then the RDB version
//! (10, two bytes little-endian) and the CRC-64/Redis of everything before (eight
//! bytes little-endian). Redis compresses strings longer than 20 bytes with LZF;
//! we read those and write plain ones.

/// `RDB_OPCODE_FUNCTION2`: a library's code follows.
const FUNCTION2: u8 = 245;
/// `RDB_OPCODE_FUNCTION`: the 7.0 release candidates' form (name, engine,
/// description, code).
const FUNCTION_PRE_GA: u8 = 246;
/// The RDB version Redis 7.0 writes (`RDB_VERSION`).
pub const RDB_VERSION: u16 = 10;

/// The restore error for a payload whose footer is wrong.
pub const BAD_PAYLOAD: &str = "DUMP payload version or checksum are wrong";

fn crc64(bytes: &[u8]) -> u64 {
    crc::Crc::<u64>::new(&crc::CRC_64_REDIS).checksum(bytes)
}

/// The payload of libraries with these codes.
pub fn encode<'a>(codes: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(FUNCTION2);
        write_len(&mut out, code.len() as u64);
        out.extend_from_slice(code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The library codes of a payload, or the restore's error text.
pub fn decode(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if data.len() < 10 {
        return Err(BAD_PAYLOAD.into());
    }
    let footer = &data[data.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let crc = u64::from_le_bytes(footer[2..].try_into().expect("eight bytes"));
    if version > RDB_VERSION || crc64(&data[..data.len() - 8]) != crc {
        return Err(BAD_PAYLOAD.into());
    }
    let mut reader = Reader { data: &data[..data.len() - 10], pos: 0 };
    let mut codes = Vec::new();
    while reader.pos < reader.data.len() {
        match reader.byte() {
            Some(FUNCTION2) => {
                codes.push(reader.string().ok_or("Failed loading library payload")?);
            }
            Some(FUNCTION_PRE_GA) => {
                let name = reader.string().ok_or("Failed loading library name")?;
                let engine = reader.string().ok_or("Failed loading engine name")?;
                let has_description = reader.len().ok_or("Failed loading library description indicator")?;
                if has_description != 0 {
                    reader.string().ok_or("Failed loading library description")?;
                }
                let blob = reader.string().ok_or("Failed loading library blob")?;
                let mut code = b"#!".to_vec();
                code.extend_from_slice(&engine);
                code.extend_from_slice(b" name=");
                code.extend_from_slice(&name);
                code.push(b'\n');
                code.extend_from_slice(&blob);
                codes.push(code);
            }
            Some(_) => return Err("given type is not a function".into()),
            None => return Err("can not read data type".into()),
        }
    }
    Ok(codes)
}

/// An RDB length: 6 bits, 14 bits, or 32/64 bits big-endian after a marker.
fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Reads RDB strings from a payload's body.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// The most bytes an LZF string may claim to expand to (Redis's own limit is
/// `proto-max-bulk-len`, 512 MB).
const MAX_STRING: u64 = 512 << 20;

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    /// A length, or `None` for an encoded string's marker.
    fn len_or_encoding(&mut self) -> Option<Result<u64, u8>> {
        let first = self.byte()?;
        Some(match first >> 6 {
            0 => Ok((first & 0x3f) as u64),
            1 => Ok((((first & 0x3f) as u64) << 8) | self.byte()? as u64),
            2 if first == 0x80 => Ok(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as u64),
            2 if first == 0x81 => Ok(u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
            2 => return None,
            _ => Err(first & 0x3f),
        })
    }

    fn len(&mut self) -> Option<u64> {
        self.len_or_encoding()?.ok()
    }

    /// An RDB string: plain, an integer, or LZF-compressed.
    fn string(&mut self) -> Option<Vec<u8>> {
        match self.len_or_encoding()? {
            Ok(len) => Some(self.take(usize::try_from(len).ok()?)?.to_vec()),
            Err(0) => Some((self.byte()? as i8).to_string().into_bytes()),
            Err(1) => Some(i16::from_le_bytes(self.take(2)?.try_into().ok()?).to_string().into_bytes()),
            Err(2) => Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?).to_string().into_bytes()),
            Err(3) => {
                let compressed = self.len()?;
                let len = self.len()?;
                if len == 0 || len > MAX_STRING {
                    return None;
                }
                let input = self.take(usize::try_from(compressed).ok()?)?;
                let out = lzf::decompress(input, len as usize).ok()?;
                (out.len() as u64 == len).then_some(out)
            }
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_redis_crc64_jones() {
        // The check value of Redis's crc64.c self-test.
        assert_eq!(crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn payloads_round_trip_and_catch_damage() {
        let long = vec![b'x'; 20_000];
        let codes: Vec<&[u8]> = vec![b"#!lua name=a\nreturn 1", &long];
        let payload = encode(codes.iter().copied());
        assert_eq!(decode(&payload).unwrap(), vec![codes[0].to_vec(), long.clone()]);
        let mut damaged = payload.clone();
        damaged[3] ^= 1;
        assert_eq!(decode(&damaged).unwrap_err(), BAD_PAYLOAD);
        assert_eq!(decode(b"bad_payload").unwrap_err(), BAD_PAYLOAD);
        assert_eq!(decode(&encode(std::iter::empty())).unwrap(), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn a_redis_dump_with_an_lzf_string_is_read() {
        // `FUNCTION DUMP` from redis-server 7.0.15 after `FUNCTION LOAD` of this
        // code: Redis compressed it with LZF.
        let hex =
            "f5c3405340631f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0b66756e637469\
                   6f6e28276d79400b02272c20400660120f292072657475726e202768656c6c6f20e00805052720656e64290a00\
                   8c0d0a5bad1b2fe4";
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        let code = "#!lua name=mylib\nredis.register_function('myfunc', function() return 'hello hello hello hello' end)";
        assert_eq!(decode(&bytes).unwrap(), vec![code.as_bytes().to_vec()]);
    }

    #[test]
    fn damaged_bodies_are_errors_not_panics() {
        for body in
            [&[FUNCTION2][..], &[FUNCTION2, 0x45], &[FUNCTION2, 0xc3, 5, 200], &[7], &[FUNCTION2, 0x82]]
        {
            let mut data = body.to_vec();
            data.extend_from_slice(&RDB_VERSION.to_le_bytes());
            let crc = crc64(&data);
            data.extend_from_slice(&crc.to_le_bytes());
            assert!(decode(&data).is_err(), "{body:?}");
        }
    }
}
