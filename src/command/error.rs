//! The error replies of commands, each rendering exactly the line Redis sends.

use std::borrow::Cow;
use std::fmt;

use crate::engine::WrongType;

/// A command that could not be carried out. `Display` is the RESP error line
/// without its leading `-`, word for word as Redis 7 sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// `ERR wrong number of arguments for '<name>' command` (`name` in lower case, with
    /// `|sub` for a subcommand).
    WrongArity(String),
    /// `ERR unknown command ...`, already formatted with its arguments.
    UnknownCommand(String),
    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand {
        /// The subcommand as the client wrote it.
        sub: String,
        /// The command (written upper case).
        command: &'static str,
    },
    /// `ERR syntax error`
    Syntax,
    /// `ERR value is not an integer or out of range`
    NotInteger,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `ERR increment or decrement would overflow`
    Overflow,
    /// `ERR decrement would overflow`
    DecrementOverflow,
    /// `ERR increment would produce NaN or Infinity`
    NanOrInfinity,
    /// `ERR string exceeds maximum allowed size (proto-max-bulk-len)`
    StringTooLong,
    /// `ERR offset is out of range`
    OffsetOutOfRange,
    /// `ERR invalid expire time in '<cmd>' command`
    InvalidExpireTime(&'static str),
    /// `ERR DB index is out of range`
    DbIndexOutOfRange,
    /// `ERR source and destination objects are the same`
    SameObject,
    /// `NOPROTO unsupported protocol version`
    NoProto,
    /// `WRONGPASS invalid username-password pair or user is disabled.`
    WrongPass,
    /// `NOAUTH Authentication required.`
    NoAuth,
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// Any other line, complete with its code (`ERR …`).
    Other(Cow<'static, str>),
}

impl CommandError {
    /// An `ERR` line with a fixed or formatted message.
    pub fn err(message: impl Into<Cow<'static, str>>) -> Self {
        let message = message.into();
        CommandError::Other(Cow::Owned(format!("ERR {message}")))
    }

    /// `ERR internal error: …`, for faults that are ours, not the client's.
    pub fn internal(what: impl fmt::Display) -> Self {
        CommandError::Other(Cow::Owned(format!("ERR internal error: {what}")))
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::WrongArity(name) => {
                write!(f, "ERR wrong number of arguments for '{name}' command")
            }
            CommandError::UnknownCommand(line) => f.write_str(line),
            CommandError::UnknownSubcommand { sub, command } => {
                write!(f, "ERR unknown subcommand '{sub}'. Try {} HELP.", command.to_ascii_uppercase())
            }
            CommandError::Syntax => f.write_str("ERR syntax error"),
            CommandError::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            CommandError::NotFloat => f.write_str("ERR value is not a valid float"),
            CommandError::Overflow => f.write_str("ERR increment or decrement would overflow"),
            CommandError::DecrementOverflow => f.write_str("ERR decrement would overflow"),
            CommandError::NanOrInfinity => f.write_str("ERR increment would produce NaN or Infinity"),
            CommandError::StringTooLong => {
                f.write_str("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
            }
            CommandError::OffsetOutOfRange => f.write_str("ERR offset is out of range"),
            CommandError::InvalidExpireTime(cmd) => {
                write!(f, "ERR invalid expire time in '{cmd}' command")
            }
            CommandError::DbIndexOutOfRange => f.write_str("ERR DB index is out of range"),
            CommandError::SameObject => f.write_str("ERR source and destination objects are the same"),
            CommandError::NoProto => f.write_str("NOPROTO unsupported protocol version"),
            CommandError::WrongPass => {
                f.write_str("WRONGPASS invalid username-password pair or user is disabled.")
            }
            CommandError::NoAuth => f.write_str("NOAUTH Authentication required."),
            CommandError::WrongType => WrongType.fmt(f),
            CommandError::Other(line) => f.write_str(line),
        }
    }
}

impl std::error::Error for CommandError {}

impl From<WrongType> for CommandError {
    fn from(_: WrongType) -> Self {
        CommandError::WrongType
    }
}

/// What every handler returns: what the connection does next (the reply is
/// written), or this error is the reply.
pub type CommandResult = Result<super::Outcome, CommandError>;
