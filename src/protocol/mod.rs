//! The wire: an incremental RESP request parser and a reply encoder that speaks RESP2,
//! or RESP3 to connections that sent `HELLO 3`.

pub mod inline;
pub mod parser;
pub mod reply;

pub use parser::{Limits, ProtocolError, RequestParser};
pub use reply::{Protocol, ReplyWriter};
