//! The library engine on its own: metadata, registration checks, collisions,
//! dump and restore.

use super::*;

fn libs() -> Libraries {
    Libraries::new(64 << 20).expect("the VM builds")
}

fn code(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

fn one(name: &str, function: &str) -> Bytes {
    code(&format!("#!lua name={name}\nredis.register_function('{function}', function() return 1 end)"))
}

#[test]
fn metadata_reads_the_shebang_as_redis() {
    assert_eq!(metadata(b"#!lua name=lib\n").unwrap(), ("lua".into(), "lib".into()));
    assert_eq!(metadata(b"#!lua name=\"foo\"\n").unwrap().1, "foo");
    assert_eq!(metadata(b"#! name=x\n").unwrap().0, "");
    assert_eq!(metadata(b"return 1").unwrap_err(), "Missing library metadata");
    assert_eq!(metadata(b"#!lua name=x").unwrap_err(), "Invalid library metadata");
    assert_eq!(metadata(b"#!lua name=a foo=bar\n").unwrap_err(), "Invalid metadata value given: foo=bar");
    assert_eq!(metadata(b"#!lua\n").unwrap_err(), "Library name was not given");
    assert_eq!(
        metadata(b"#!lua name=a NAME=b\n").unwrap_err(),
        "Invalid metadata value, name argument was given multiple times"
    );
}

#[test]
fn names_are_letters_digits_and_underscores() {
    assert!(valid_name("a_1Z"));
    assert!(!valid_name(""));
    assert!(!valid_name("a-b"));
    assert!(!valid_name("a\0b"));
}

#[test]
fn load_registers_and_finds_functions_without_regard_to_case() {
    let mut l = libs();
    let text = "#!lua name=lib\nredis.register_function('F1', function(k, a) return #k end)\n\
                redis.register_function{function_name='f2', callback=function() end, flags={'no-writes', \
                'ALLOW-OOM'}, description='d'}";
    assert_eq!(l.load(&code(text), false, 0).unwrap(), "lib");
    let f1 = l.catalog.find(b"f1").expect("found in lower case");
    assert_eq!((f1.name.as_str(), f1.flags), ("F1", 0));
    let f2 = l.catalog.find(b"F2").unwrap();
    assert_eq!(f2.flags, script_flags_of(&["no-writes", "allow-oom"]));
    let lib = l.catalog.libraries().next().unwrap();
    assert_eq!(lib.functions[1].description.as_deref(), Some(&b"d"[..]));
    assert_eq!((l.catalog.library_count(), l.catalog.function_count()), (1, 2));
}

fn script_flags_of(names: &[&str]) -> u8 {
    super::super::script_flags::NAMES.iter().filter(|(n, _)| names.contains(n)).map(|(_, b)| b).sum()
}

#[test]
fn load_errors_leave_the_libraries_unchanged() {
    let mut l = libs();
    l.load(&one("lib", "f"), false, 0).unwrap();
    assert_eq!(l.load(&one("lib", "g"), false, 0).unwrap_err(), "Library 'lib' already exists");
    assert_eq!(l.load(&one("other", "F"), false, 0).unwrap_err(), "Function F already exists");
    // A failed REPLACE keeps the old library.
    let bad = code("#!lua name=lib\nredis.register_function('g', 'x')");
    assert_eq!(
        l.load(&bad, true, 0).unwrap_err(),
        "Error registering functions: ERR second argument to redis.register_function must be a function"
    );
    assert!(l.catalog.find(b"f").is_some());
    assert_eq!(l.load(&code("#!lua name=x\nreturn 1"), false, 0).unwrap_err(), "No functions registered");
    assert!(l
        .load(&code("#!lua name=x\nbad script"), false, 0)
        .unwrap_err()
        .starts_with("Error compiling function: user_function:2:"));
    assert_eq!(
        l.load(&code("#!lua name=x\nmath.random()"), false, 0).unwrap_err(),
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'math'"
    );
    assert_eq!(
        l.load(&code("#!lua name=x\nredis.call('ping')"), false, 0).unwrap_err(),
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"
    );
    assert_eq!(l.load(&code("#!js name=x\n"), false, 0).unwrap_err(), "Engine 'js' not found");
    assert_eq!((l.catalog.library_count(), l.catalog.function_count()), (1, 1));
}

#[test]
fn a_load_that_runs_too_long_times_out() {
    let mut l = libs();
    let spin = code("#!lua name=x\nlocal a = 1 while true do a = a + 1 end");
    assert_eq!(
        l.load(&spin, false, 50).unwrap_err(),
        "Error registering functions: ERR FUNCTION LOAD timeout"
    );
    // The VM is usable afterwards, and the globals are the runtime ones again.
    l.load(&one("y", "g"), false, 50).unwrap();
}

#[test]
fn dump_and_restore_follow_the_policies() {
    let mut l = libs();
    l.load(&one("a", "fa"), false, 0).unwrap();
    l.load(&one("b", "fb"), false, 0).unwrap();
    let payload = l.dump();
    let mut other = libs();
    other.load(&one("a", "other"), false, 0).unwrap();
    assert_eq!(other.restore(&payload, RestorePolicy::Append).unwrap_err(), "Library a already exists");
    assert!(other.catalog.find(b"other").is_some());
    other.restore(&payload, RestorePolicy::Replace).unwrap();
    assert!(other.catalog.find(b"other").is_none() && other.catalog.find(b"fb").is_some());
    other.load(&one("c", "x"), false, 0).unwrap();
    other.restore(&payload, RestorePolicy::Flush).unwrap();
    assert_eq!(other.catalog.library_count(), 2);
    assert!(other.catalog.find(b"x").is_none());
    // A function-name collision with another library fails a replace too.
    let mut third = libs();
    third.load(&one("z", "fa"), false, 0).unwrap();
    assert_eq!(third.restore(&payload, RestorePolicy::Replace).unwrap_err(), "Function fa already exists");
    assert_eq!(third.catalog.library_count(), 1);
    assert_eq!(third.restore(b"junk", RestorePolicy::Append).unwrap_err(), payload::BAD_PAYLOAD);
}
