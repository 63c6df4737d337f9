//! jsum: official vectors, byte-for-byte agreement with the reference tools, check mode,
//! tee mode, and bad input. Expected values come from the published test vectors or from
//! the reference binaries, never from jsum itself.
mod common;

use std::fs;
use std::path::Path;

use common::{have, jsum, sh};

fn digest_of(algorithm: &str, input: &[u8]) -> String {
    let run = jsum().args(["-q", "-a", algorithm]).stdin(input.to_vec()).run();
    run.success();
    let out = run.stdout_str();
    assert!(out.ends_with('\n') && out.matches('\n').count() == 1, "one bare line: {out:?}");
    out.trim_end().to_string()
}

const NIST_448: &[u8] = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

#[test]
fn nist_sha_vectors() {
    let million_a = vec![b'a'; 1_000_000];
    let cases: [(&str, &[u8], &str); 9] = [
        ("sha1", b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("sha1", NIST_448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("sha1", &million_a, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
        ("sha256", b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("sha256", NIST_448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("sha256", &million_a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        (
            "sha512",
            b"abc",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        (
            "sha512",
            b"",
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        ),
        (
            "sha512",
            &million_a,
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
        ),
    ];
    for (algorithm, input, expected) in cases {
        assert_eq!(digest_of(algorithm, input), expected, "{algorithm} of {} bytes", input.len());
    }
}

/// From BLAKE3-team/BLAKE3 test_vectors/test_vectors.json: input bytes are 0..=250 repeated;
/// the default-length hash is the first 32 bytes of the extended output given there.
const BLAKE3_VECTORS: [(usize, &str); 16] = [
    (
        0,
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262e00f03e7b69af26b7faaf09fcd333050338ddfe085b8cc869ca98b206c08243a26f5487789e8f660afe6c99ef9e0c52b92e7393024a80459cf91f476f9ffdbda7001c22e159b402631f277ca96f2defdf1078282314e763699a31c5363165421cce14d",
    ),
    (
        1,
        "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213c3a6cb8bf623e20cdb535f8d1a5ffb86342d9c0b64aca3bce1d31f60adfa137b",
    ),
    (
        1023,
        "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11a182d27a591b05592b15607500e1e8dd56bc6c7fc063715b7a1d737df5bad333",
    ),
    (
        1024,
        "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af71cf8107265ecdaf8505b95d8fcec83a98a6a96ea5109d2c179c47a387ffbb404",
    ),
    (
        1025,
        "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444f4c4a22b4b399155358a994e52bf255de60035742ec71bd08ac275a1b51cc6bf",
    ),
    (
        2048,
        "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a9a60bf80001410ec9eea6698cd537939fad4749edd484cb541aced55cd9bf547",
    ),
    (
        2049,
        "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b687952256303096de31d71d74103403822a2e0bc1eb193e7aecc9643a76b7bbc0c9f9c52e8783",
    ),
    (
        3072,
        "b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd29a3f6b0b978d6608335c09dc94ccf682f9951cdfc501bfe47b9c9189a6fc7b40",
    ),
    (
        3073,
        "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd39a27ae3b79d68d89da9bf25bc27139ae65a324918a5f9b7828181e52cf373c84",
    ),
    (
        4096,
        "015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e9690289e9409ddb1b99768eafe1623da896faf7e1114bebeadc1be30829b6f8af70",
    ),
    (
        4097,
        "9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb99505f91b0b5600a11251652eacfa9497b31cd3c409ce2e45cfe6c0a016967316c4",
    ),
    (
        5120,
        "9cadc15fed8b5d854562b26a9536d9707cadeda9b143978f319ab34230535833acc61c8fdc114a2010ce8038c853e121e1544985133fccdd0a2d507e8e615e61",
    ),
    (
        5121,
        "628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff96adaab0613a6146cdaabe498c3a94e529d3fc1da2bd08edf54ed64d40dcd677",
    ),
    (
        6144,
        "3e2e5b74e048f3add6d21faab3f83aa44d3b2278afb83b80b3c35164ebeca2054d742022da6fdda444ebc384b04a54c3ac5839b49da7d39f6d8a9db03deab32a",
    ),
    (
        6145,
        "f1323a8631446cc50536a9f705ee5cb619424d46887f3c376c695b70e0f0507f18a2cfdd73c6e39dd75ce7c1c6e3ef238fd54465f053b25d21044ccb2093beb0",
    ),
    (
        7169,
        "a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e781798a8b20534be1ca9eb2ae2df3fae2ea60e48c6fb0b850b1385b5de0fe460dbe9",
    ),
];

fn blake3_input(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn blake3_official_vectors_from_stdin_and_file() {
    let dir = common::tempdir();
    for (len, extended) in BLAKE3_VECTORS {
        let expected = &extended[..64];
        let input = blake3_input(len);
        assert_eq!(digest_of("blake3", &input), expected, "stdin, length {len}");
        let file = dir.path().join(format!("v{len}"));
        fs::write(&file, &input).unwrap();
        jsum()
            .args(["-a", "b3"])
            .arg(&file)
            .run()
            .success()
            .stdout_is(format!("{expected}  {}\n", file.display()));
    }
}

/// FreeBSD sbin/md5/md5.c self-test inputs (MDTestInput) and its SKEIN256/SKEIN512 tables;
/// Skein-1024 comes from the TSV in the shared corpus.
const MD_TEST_INPUT: [&str; 8] = [
    "",
    "a",
    "abc",
    "message digest",
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
    "MD5 has not yet (2001-09-03) been broken, but sufficient attacks have been made that its security is in some doubt",
];
const SKEIN256_TEST_OUTPUT: [&str; 8] = [
    "c8877087da56e072870daa843f176e9453115929094c3a40c463a196c29bf7ba",
    "7fba44ff1a31d71a0c1f82e6e82fb5e9ac6c92a39c9185b9951fed82d82fe635",
    "258bdec343b9fde1639221a5ae0144a96e552e5288753c5fec76c05fc2fc1870",
    "4d2ce0062b5eb3a4db95bc1117dd8aa014f6cd50fdc8e64f31f7d41f9231e488",
    "46d8440685461b00e3ddb891b2ecc6855287d2bd8834a95fb1c1708b00ea5e82",
    "7c5eb606389556b33d34eb2536459528dc0af97adbcd0ce273aeb650f598d4b2",
    "4def7a7e5464a140ae9c3a80279fbebce4bd00f9faad819ab7e001512f67a10d",
    "d9c017dbe355f318d036469eb9b5fbe129fc2b5786a9dc6746a516eab6fe0126",
];
const SKEIN512_TEST_OUTPUT: [&str; 8] = [
    "bc5b4c50925519c290cc634277ae3d6257212395cba733bbad37a4af0fa06af41fca7903d06564fea7a2d3730dbdb80c1f85562dfcc070334ea4d1d9e72cba7a",
    "b1cd8d33f61b3737adfd59bb13ad82f4a9548e92f22956a8976cca3fdb7fee4fe91698146c4197cec85d38b83c5d93bdba92c01fd9a53870d0c7f967bc62bdce",
    "8f5dd9ec798152668e35129496b029a960c9a9b88662f7f9482f110b31f9f93893ecfb25c009baad9e46737197d5630379816a886aa05526d3a70df272d96e75",
    "15b73c158ffb875fed4d72801ded0794c720b121c0c78edf45f900937e6933d9e21a3a984206933d504b5dbb2368000411477ee1b204c986068df77886542fcc",
    "23793ad900ef12f9165c8080da6fdfd2c8354a2929b8aadf83aa82a3c6470342f57cf8c035ec0d97429b626c4d94f28632c8f5134fd367dca5cf293d2ec13f8c",
    "0c6bed927e022f5ddcf81877d42e5f75798a9f8fd3ede3d83baac0a2f364b082e036c11af35fe478745459dd8f5c0b73efe3c56ba5bb2009208d5a29cc6e469c",
    "2ca9fcffb3456f297d1b5f407014ecb856f0baac8eb540f534b1f187196f21e88f31103128c2f03fcc9857d7a58eb66f9525e2302d88833ee069295537a434ce",
    "1131f2aaa0e97126c9314f9f968cc827259bbfabced2943bb8c9274448998fb3b78738b4580dd500c76105fd3c03e465e1414f2c29664286b1f79d3e51128125",
];

#[test]
fn freebsd_skein_self_test_vectors() {
    for (i, input) in MD_TEST_INPUT.iter().enumerate() {
        assert_eq!(digest_of("skein256", input.as_bytes()), SKEIN256_TEST_OUTPUT[i], "skein256 {input:?}");
        assert_eq!(digest_of("skein512", input.as_bytes()), SKEIN512_TEST_OUTPUT[i], "skein512 {input:?}");
    }
    let tsv = common::shared_dir().join("corpus/pot/skein1024_freebsd_md5_selftest_vectors.tsv");
    let table = fs::read_to_string(&tsv).unwrap_or_else(|e| panic!("{}: {e}", tsv.display()));
    let mut count = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let (input, expected) = line.split_once('\t').expect("input TAB digest");
        assert_eq!(digest_of("skein1024", input.as_bytes()), expected, "skein1024 {input:?}");
        count += 1;
    }
    assert_eq!(count, 8, "all eight FreeBSD vectors");
}

#[test]
fn pot_skein_file_is_reproduced_byte_for_byte() {
    let pot = common::shared_dir().join("corpus/pot");
    let mut data = fs::read(pot.join("example_1.0.xz.NOT-REAL-XZ")).unwrap();
    data.extend(fs::read(pot.join("example_1.0.xz.meta")).unwrap());
    let expected = fs::read(pot.join("example_1.0.xz.skein")).unwrap();
    assert_eq!(expected.len(), 257);
    jsum().args(["-a", "skein1024", "-q"]).stdin(data.clone()).run().success().stdout_is(&expected);
    let skein = String::from_utf8(expected).unwrap();
    jsum().args(["--expect", &skein]).stdin(data.clone()).run().success().stdout_is("-: OK\n");
    data.push(b'x');
    jsum().args(["--expect", &skein]).stdin(data).run().code(1).stdout_is("-: FAILED\n");
}

/// Inputs of interesting sizes: empty, one byte, around the 1 MiB chunk size, several MiB.
fn sample_files(dir: &Path) -> Vec<String> {
    let sizes = [0usize, 1, 16 * 1024, (1 << 20) - 1, (1 << 20) + 3, 5 << 20];
    sizes
        .iter()
        .map(|&size| {
            let name = format!("f{size}");
            fs::write(dir.join(&name), common::noise(size, size as u64 + 7)).unwrap();
            name
        })
        .collect()
}

fn same_output_as(reference: &str, algorithm: &str) {
    if !have(reference) {
        return;
    }
    let dir = common::tempdir();
    let files = sample_files(dir.path());
    let expected = common::Cmd::new(reference).args(&files).dir(dir.path()).run();
    expected.success();
    jsum().args(["-a", algorithm]).args(&files).dir(dir.path()).run().success().stdout_is(&expected.stdout);
    // And from stdin, where the name is '-'.
    let big = dir.path().join(files.last().unwrap());
    let expected = common::Cmd::new(reference).stdin_file(&big).run();
    jsum().args(["-a", algorithm]).stdin_file(&big).run().success().stdout_is(&expected.stdout);
}

#[test]
fn matches_sha256sum() {
    same_output_as("sha256sum", "sha256");
}

#[test]
fn matches_sha1sum() {
    same_output_as("sha1sum", "sha1");
}

#[test]
fn matches_sha512sum() {
    same_output_as("sha512sum", "sha512");
}

#[test]
fn matches_b3sum() {
    same_output_as("b3sum", "blake3");
}

#[test]
fn escaped_names_match_coreutils() {
    if !have("sha256sum") {
        return;
    }
    let dir = common::tempdir();
    let names = ["new\nline", "back\\slash", "plain name"];
    for n in names {
        fs::write(dir.path().join(n), n).unwrap();
    }
    let expected = common::Cmd::new("sha256sum").args(names).dir(dir.path()).run();
    expected.success();
    jsum().args(names).dir(dir.path()).run().success().stdout_is(&expected.stdout);
    let expected_tag = common::Cmd::new("sha256sum").arg("--tag").args(names).dir(dir.path()).run();
    jsum().arg("--tag").args(names).dir(dir.path()).run().success().stdout_is(&expected_tag.stdout);
    // And they check back, with the same report as coreutils.
    fs::write(dir.path().join("SUMS"), &expected.stdout).unwrap();
    let report = common::Cmd::new("sha256sum").args(["-c", "SUMS"]).dir(dir.path()).run();
    jsum().args(["-c", "SUMS"]).dir(dir.path()).run().success().stdout_is(&report.stdout);
}

#[test]
fn several_algorithms_in_one_pass_print_bsd_lines() {
    let dir = common::tempdir();
    let data = common::noise(3 << 20, 42);
    fs::write(dir.path().join("img"), &data).unwrap();
    let all = ["sha256", "sha1", "sha512", "blake3", "skein256", "skein512", "skein1024"];
    let run = jsum().args(["-a", &all.join(","), "img"]).dir(dir.path()).run();
    run.success();
    let tags = ["SHA256", "SHA1", "SHA512", "BLAKE3", "Skein256", "Skein512", "Skein1024"];
    let expected: String =
        all.iter().zip(tags).map(|(a, tag)| format!("{tag} (img) = {}\n", digest_of(a, &data))).collect();
    run.stdout_is(expected);
}

#[test]
fn check_mode_reads_sha256sum_and_tag_files_and_reports_like_coreutils() {
    if !have("sha256sum") {
        return;
    }
    let dir = common::tempdir();
    let files = sample_files(dir.path());
    let d = dir.path();
    let sums = common::Cmd::new("sha256sum").args(&files).dir(d).run().stdout;
    fs::write(d.join("SUMS"), &sums).unwrap();
    let tagged = common::Cmd::new("sha512sum").arg("--tag").args(&files).dir(d).run().stdout;
    fs::write(d.join("TAGGED"), &tagged).unwrap();
    let reference = common::Cmd::new("sha256sum").args(["-c", "SUMS"]).dir(d).run();
    jsum().args(["-c", "SUMS"]).dir(d).run().success().stdout_is(&reference.stdout);
    jsum().args(["-c", "TAGGED"]).dir(d).run().success();
    jsum().args(["-c"]).stdin(sums.clone()).dir(d).run().success();

    // A changed file and a missing one: FAILED, FAILED open or read, warnings, exit 1.
    fs::write(d.join(&files[1]), b"changed").unwrap();
    fs::remove_file(d.join(&files[2])).unwrap();
    let run = jsum().args(["-c", "SUMS"]).dir(d).run();
    run.code(1)
        .stdout_contains(&format!("{}: FAILED\n", files[1]))
        .stdout_contains(&format!("{}: FAILED open or read\n", files[2]))
        .stdout_contains(&format!("{}: OK\n", files[0]))
        .stderr_contains(&format!("jsum: {}: No such file or directory", files[2]))
        .stderr_contains("jsum: WARNING: 1 listed file could not be read")
        .stderr_contains("jsum: WARNING: 1 computed checksum did NOT match");
    let reference = common::Cmd::new("sha256sum").args(["-c", "SUMS"]).dir(d).run();
    assert_eq!(run.stdout, reference.stdout, "same report as sha256sum -c");

    // --quiet prints only failures, --status nothing; both still exit 1.
    let quiet = jsum().args(["-c", "-q", "SUMS"]).dir(d).run();
    quiet.code(1);
    assert!(!quiet.stdout_str().contains(": OK"));
    jsum().args(["-c", "--status", "SUMS"]).dir(d).run().code(1).stdout_is("");
    // --ignore-missing skips the missing file but still fails on the changed one.
    let run = jsum().args(["-c", "--ignore-missing", "SUMS"]).dir(d).run();
    run.code(1);
    assert!(!run.stdout_str().contains("open or read"));
}

#[test]
fn check_mode_reads_b3sum_files() {
    if !have("b3sum") {
        return;
    }
    let dir = common::tempdir();
    let d = dir.path();
    let files = sample_files(d);
    let sums = common::Cmd::new("b3sum").args(&files).dir(d).run().stdout;
    // The name tells the algorithm of 64-hex lines...
    fs::write(d.join("B3SUMS"), &sums).unwrap();
    jsum().args(["-c", "B3SUMS"]).dir(d).run().success();
    // ...or -a does; without either, 64 hex means SHA-256 and nothing matches.
    fs::write(d.join("sums.txt"), &sums).unwrap();
    jsum().args(["-a", "blake3", "-c", "sums.txt"]).dir(d).run().success();
    jsum().args(["-c", "sums.txt"]).dir(d).run().code(1);
    // And b3sum reads what jsum writes.
    let ours = jsum().args(["-a", "blake3"]).args(&files).dir(d).run().stdout;
    fs::write(d.join("ours.b3"), ours).unwrap();
    common::Cmd::new("b3sum").args(["-c", "ours.b3"]).dir(d).run().success();
}

#[test]
fn check_mode_malformed_lines() {
    let dir = common::tempdir();
    let d = dir.path();
    fs::write(d.join("a"), b"abc").unwrap();
    let good = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a\n";
    fs::write(d.join("SUMS"), format!("garbage line\n{good}")).unwrap();
    jsum()
        .args(["-c", "SUMS"])
        .dir(d)
        .run()
        .success()
        .stderr_contains("jsum: WARNING: 1 line is improperly formatted");
    jsum()
        .args(["-c", "-w", "SUMS"])
        .dir(d)
        .run()
        .success()
        .stderr_contains("jsum: SUMS: 1: improperly formatted");
    jsum().args(["-c", "--strict", "SUMS"]).dir(d).run().code(1);
    fs::write(d.join("EMPTY"), "nothing here\n").unwrap();
    jsum()
        .args(["-c", "EMPTY"])
        .dir(d)
        .run()
        .code(1)
        .stderr_contains("jsum: EMPTY: no properly formatted checksum lines found");
    jsum().args(["-c", "NOPE"]).dir(d).run().code(2).one_line_error("jsum");
}

#[test]
fn tee_passes_data_through_exactly() {
    if !have("sha256sum") {
        return;
    }
    let dir = common::tempdir();
    for size in [0usize, 1, 9 << 20] {
        let data = common::noise(size, 3);
        let sums = dir.path().join(format!("s{size}.sha256"));
        let run = jsum().args(["--tee", "-o"]).arg(&sums).stdin(data.clone()).run();
        run.success().stderr_is_empty();
        assert!(run.stdout == data, "tee output differs for {size} bytes");
        let reference = common::Cmd::new("sha256sum").stdin(data.clone()).run().stdout;
        assert_eq!(fs::read(&sums).unwrap(), reference, "{size} bytes");
        // Without -o the digest line goes to stderr.
        let run = jsum().args(["--tee", "-a", "sha1", "--label", "img"]).stdin(data.clone()).run();
        run.success();
        assert!(run.stdout == data);
        assert!(run.stderr.ends_with("  img\n"), "{}", run.stderr);
    }
}

#[test]
fn tee_with_expect_passes_everything_and_exits_1_on_mismatch() {
    let data = common::noise(3 << 20, 9);
    let right = digest_of("sha256", &data);
    let run = jsum().args(["--tee", "--expect", &right]).stdin(data.clone()).run();
    run.success().stderr_is_empty();
    assert!(run.stdout == data);
    let wrong = format!("sha256:{}", "0".repeat(64));
    let run = jsum().args(["--tee", "--expect", &wrong]).stdin(data.clone()).run();
    run.code(1).one_line_error("jsum").stderr_contains("sha256 digest mismatch");
    assert!(run.stdout == data, "all data still passed through");
}

#[test]
fn bare_output_is_a_bastille_sha256_file() {
    if !have("sha256sum") {
        return;
    }
    let dir = common::tempdir();
    let image = dir.path().join("web_2026-11-23-120000.txz");
    fs::write(&image, common::noise(100_000, 5)).unwrap();
    let sums = dir.path().join("web_2026-11-23-120000.sha256");
    jsum().args(["-q", "-o"]).arg(&sums).arg(&image).run().success();
    let expected = common::Cmd::new("sha256sum").arg(&image).run().stdout_str();
    let written = fs::read_to_string(&sums).unwrap();
    assert_eq!(written, format!("{}\n", &expected[..64]));
    let expect_arg = fs::read_to_string(&sums).unwrap();
    jsum().args(["--expect", &expect_arg]).arg(&image).run().success();
}

#[test]
fn unreadable_inputs_are_reported_and_the_rest_still_hashed() {
    let dir = common::tempdir();
    let d = dir.path();
    fs::write(d.join("a"), b"abc").unwrap();
    let run = jsum().args(["missing", "a"]).dir(d).run();
    run.code(2)
        .one_line_error("jsum")
        .stderr_contains("jsum: missing: No such file or directory")
        .stdout_is("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a\n");
    jsum().arg(".").dir(d).run().code(2).stderr_contains("jsum: .: Is a directory");
    // With -o, a sums file that would miss an input is not written.
    fs::write(d.join("OUT"), b"old").unwrap();
    jsum().args(["-o", "OUT", "missing", "a"]).dir(d).run().code(2);
    assert_eq!(fs::read(d.join("OUT")).unwrap(), b"old");
    assert_eq!(fs::read_dir(d).unwrap().count(), 2, "no temporary file left");
}

#[test]
fn usage_errors_exit_2() {
    jsum().args(["-a", "md5"]).stdin("x").run().code(2).stderr_contains("unknown algorithm 'md5'");
    jsum().args(["--expect", "abcd"]).stdin("x").run().code(2).one_line_error("jsum");
    jsum().args(["--expect", "sha256:abcd"]).stdin("x").run().code(2).stderr_contains("64 hex characters");
    jsum().args(["-c", "--tee"]).run().code(2).one_line_error("jsum");
    jsum().args(["--status"]).stdin("x").run().code(2).one_line_error("jsum");
}

#[test]
fn json_records() {
    let run = jsum().args(["--json", "-a", "sha1,sha256", "--label", "img"]).stdin("abc").run();
    run.success();
    let record: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(record["name"], "img");
    assert_eq!(record["size"], 3);
    assert_eq!(record["sha1"], "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(record["sha256"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let wrong = format!("sha1:{}", "1".repeat(40));
    let run = jsum().args(["--json", "--expect", &wrong]).stdin("abc").run();
    run.code(1);
    let record: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(record["status"], "FAILED");
    assert_eq!(record["actual"], "a9993e364706816aba3e25717850c26c9cd0d89d");
}

#[test]
fn tee_refuses_a_terminal_unless_forced() {
    if !have("script") {
        return;
    }
    // script(1) gives the command a pseudo-terminal as stdout.
    let bin = bin!(jsum);
    let run =
        common::Cmd::new("script").args(["-qec", &format!("{bin} --tee < /dev/null"), "/dev/null"]).run();
    assert!(run.stdout_str().contains("refusing to write binary data to a terminal"), "{}", run.stdout_str());
    let run = common::Cmd::new("script")
        .args(["-qec", &format!("echo hi | {bin} --tee -f -o /dev/null; echo status=$?"), "/dev/null"])
        .run();
    assert!(run.stdout_str().contains("status=0"), "{}", run.stdout_str());
}

#[test]
fn broken_pipe_ends_quietly() {
    let bin = bin!(jsum);
    let script = format!(
        "head -c 50000000 /dev/zero | {bin} --tee -o /dev/null | head -c 10 > /dev/null; echo ${{PIPESTATUS[1]}}"
    );
    let run = sh(&script).run();
    run.success().stderr_is_empty().stdout_is("0\n");
}

#[test]
fn killed_tee_leaves_no_sums_file() {
    let dir = common::tempdir();
    let bin = bin!(jsum);
    // The writer keeps stdin open, so jsum is mid-stream when the TERM arrives.
    let script = format!(
        "(echo start; sleep 5) | {bin} --tee -o SUMS > /dev/null & pid=$!; sleep 0.5; kill -TERM $pid; wait $pid; echo $?"
    );
    let run = sh(&script).dir(dir.path()).run();
    run.success().stdout_is("143\n");
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn output_to_dev_null_keeps_the_device() {
    // Regression: -o /dev/null once renamed a temporary file over the device node.
    jsum().args(["-o", "/dev/null"]).stdin("abc").run().success();
    jsum().args(["--tee", "-o", "/dev/null"]).stdin("abc").run().success().stdout_is("abc");
    let meta = fs::metadata("/dev/null").unwrap();
    assert!(!meta.is_file(), "/dev/null must still be a device");
}

/// Regression: an untagged line took BLAKE3 whenever the sum file's name contained "b3", so
/// `jsum -c web3.sha256` failed every SHA-256 line.
#[test]
fn check_web3_sha256_is_not_read_as_blake3() {
    let dir = common::tempdir();
    let d = dir.path();
    fs::write(d.join("web.txz"), b"web 1.0").unwrap();
    let sums = common::Cmd::new("sha256sum").arg("web.txz").dir(d).run().stdout;
    fs::write(d.join("web3.sha256"), &sums).unwrap();
    jsum().args(["-c", "web3.sha256"]).dir(d).run().success().stdout_is("web.txz: OK\n");
    // The b3sum names still say BLAKE3.
    let b3 = format!("{}  web.txz\n", blake3::hash(b"web 1.0").to_hex());
    for name in ["B3SUMS", "web.b3", "web.txz.blake3", "web-b3sums"] {
        fs::write(d.join(name), &b3).unwrap();
        jsum().args(["-c", name]).dir(d).run().success().stdout_is("web.txz: OK\n");
    }
}

/// Regression: `-c` silently ignored `-o`, `--tag` and `--label`. They shape digest lines,
/// which check mode does not print, so they are usage errors as `sha256sum -c --tag` is.
#[test]
fn check_with_output_tag_or_label_is_a_usage_error() {
    let dir = common::tempdir();
    let d = dir.path();
    fs::write(d.join("a"), b"a").unwrap();
    let sums = common::Cmd::new("sha256sum").arg("a").dir(d).run().stdout;
    fs::write(d.join("SUMS"), &sums).unwrap();
    for extra in [&["-o", "report"][..], &["--tag"][..], &["--label", "x"][..]] {
        let run = jsum().args(["-c", "SUMS"]).args(extra).dir(d).run();
        run.code(2).stderr_contains("cannot be used with");
        assert!(run.stdout.is_empty());
    }
    assert!(!d.join("report").exists());
    if have("sha256sum") {
        let coreutils = common::Cmd::new("sha256sum").args(["-c", "--tag", "SUMS"]).dir(d).run();
        assert_ne!(coreutils.code, Some(0), "coreutils refuses --tag with -c too");
    }
}
