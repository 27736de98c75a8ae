//! The token and /process answer parsers and the error-body mapping, on any status and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use markid_kiosk::api::client::{parse_process_answer, parse_token_answer};

fuzz_target!(|data: &[u8]| {
    let Some((&[high, low], body)) = data.split_first_chunk::<2>().map(|(s, b)| (s, b)) else {
        return;
    };
    let status = 100 + u16::from_be_bytes([high, low]) % 500;
    for error in [
        parse_token_answer(status, None, body).err(),
        parse_process_answer(status, None, body).err(),
    ]
    .into_iter()
    .flatten()
    {
        // Everything staff and customers are shown is made from the answer.
        let _ = (error.to_string(), error.staff_text(), error.code());
        let _ = error.customer_advice().key();
    }
});
