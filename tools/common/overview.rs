//! The jtools(7) overview page: what each tool does, the shared conventions, and pipelines
//! per target system. Every tool prints the same page with `--generate overview`.

/// The roff source of jtools(7).
pub fn overview_page() -> Vec<u8> {
    // The same clean-up as the generated pages: mandoc -Tlint finds nothing (tests/man.rs).
    crate::man::lint_clean(OVERVIEW.trim_start().as_bytes())
}

const OVERVIEW: &str = r#"
.TH JTOOLS 7 2026-12-01 jtools "jtools manual"
.SH NAME
jtools \- small composable tools for building, shipping and running jail images
.SH DESCRIPTION
The jtools are six independent programs, each doing one step of an image's life and
talking to the others through standard input and output, so that shell pipelines,
Makefiles and CI scripts can build, publish, fetch, verify, import and run FreeBSD jail
images (AppJail, pot, Bastille), SmartOS zone images (imgadm) and appc/Jetpack ACIs.
.TP
\fBjsnap\fR(1)
snapshot a jail's ZFS dataset or directory; \fBzfs send\fR/\fBrecv\fR or a deterministic tar
.TP
\fBjpack\fR(1)
stream compression and decompression: zstd, xz, gzip, bzip2, lz4; the format is detected on read
.TP
\fBjsum\fR(1)
digests (sha256, sha1, sha512, blake3, skein) and Ed25519 signatures (minisign and signify
files): compute, sign, verify, or tee through a pipe
.TP
\fBjfetch\fR(1)
download with mirror fallback, resume and verification while streaming
.TP
\fBjspec\fR(1)
read, write, create, validate and convert metadata: AppJail .ajspec, imgadm manifests, ACI
.TP
\fBjrun\fR(1)
run a command inside a jail (FreeBSD jails; Linux namespaces on a directory)
.SH CONVENTIONS
Every tool reads standard input when no FILE or \fB\-\fR is given and writes standard
output unless \fB\-o\fR FILE is given. \fB\-o\fR is atomic: the data goes to a temporary
file in the same directory, which is synced and renamed over FILE only on success; on an
error, SIGINT or SIGTERM it is removed and FILE is left as it was.
.PP
Binary data is never written to a terminal unless \fB\-f\fR is given.
.PP
Errors are one line on standard error, \fItool\fR: \fIwhat\fR: \fIwhy\fR.
Exit status 0 means success, 1 a negative answer (a digest mismatch, failed
verification, invalid metadata), 2 an error; \fBjrun\fR passes its command's status
through. A broken pipe ends a tool quietly.
.PP
Progress is shown on standard error only when it is a terminal; \fB\-q\fR silences it and
\fB\-\-json\fR prints machine-readable records. Work is spread over all available cores
unless \fB\-T\fR N says otherwise (with more digests than cores, \fBjsum\fR lets
digests share a thread and splits BLAKE3 by subtrees; \fBjpack \-d\fR decodes the blocks of
one bzip2 stream in parallel with jcore's own block decoder, randomised blocks going to
libbzip2).
.PP
Paths inside a tree (\fBjsnap recv \-\-dir\fR, its layers, \fBjrun \-\-root\fR) are
opened beneath the root with openat2(2) and no symlink followed; where the kernel lacks
openat2, or with \fBJTOOLS_CONFINE_WALK=1\fR in the environment (for seccomp profiles
that refuse it), one component at a time with O_NOFOLLOW.
.SH BEHAVIOUR SHARED WITH THE REFERENCE TOOLS
\fBjsnap recv \-\-dir\fR extracts what \fBbsdtar \-xpf\fR extracts, to the same tree: sparse
holes, sub-second times, xattrs, ACLs and file flags included (it reads through
libarchive, and follows bsdtar where bsdtar and GNU tar disagree). On FreeBSD,
\fBjsnap send \-\-dir\fR writes extattrs as bsdtar does (LIBARCHIVE.xattr.* and
SCHILY.xattr.*), NFSv4 ACLs as SCHILY.acl.ace and POSIX.1e ACLs as SCHILY.acl.access and
SCHILY.acl.default, with numeric ids.
\fBjpack \-d\fR follows the reference CLIs on their own test files: trailing zero padding
after gzip and bzip2 is ignored, other trailing data warns (gzip: exit 2; bzip2: exit 0), an
xz check it cannot verify warns and exits 2 unless \fB\-\-ignore\-check\fR.
\fBjspec validate\fR says invalid exactly where the real importer refuses: imgadm's
install (its bundled node\-imgmanifest), appc's actool, AppJail's image import (CRLF,
maintenance, a tag or arch not listed); warnings mark what passes but fails later.
\fBjfetch\fR reads proxies as curl does (http_proxy, https_proxy, all_proxy, no_proxy with
CIDR; http:// in absolute form, https:// by CONNECT; socks4, socks5), trusts the system
store or \fB\-\-cacert\fR and never built-in roots, takes credentials from the URL or
netrc and never prints them, and honours Retry\-After.
\fBjrun \-\-root\fR on Linux (5.12 or newer) builds the jail's mounts by descriptor, nodev
and nosuid, read-only recursively where asked, with a seccomp filter, no_new_privs, a
fresh session keyring, its own pseudo-terminal and session, and cgroup pids and memory
limits.
.SH PIPELINES
Use \fBset \-o pipefail\fR so that a failure in any stage fails the pipeline.
.SS AppJail image
.nf
jsnap send \-\-dir /usr/local/appjail/jails/web ./jail ./init ./conf/volumes ./conf/config.conf \e
  | jpack \-c xz | jsum \-\-tee \-q \-o web.sha256 > latest\-amd64\-image.appjail
.fi
.SS pot image
.nf
jsnap create \-r zroot/pot/jails/web@img
jsnap send \-R zroot/pot/jails/web@img | jpack \-c xz \-o web_1.0.xz
echo \- > web_1.0.xz.meta
cat web_1.0.xz web_1.0.xz.meta | jsum \-a skein1024 \-q \-o web_1.0.xz.skein
.fi
.SS SmartOS image
.nf
jsnap send zones/web@final | jpack \-c gzip | jsum \-\-tee \-a sha1 \-o web.sha1 > web.zfs.gz
.fi
.SS Bastille export and import
.nf
jsnap send \-\-dir /usr/local/bastille/jails web | jpack \-c xz \e
  | jsum \-\-tee \-q \-o web_2026\-11\-23\-120000.sha256 > web_2026\-11\-23\-120000.txz
jsum \-\-expect "$(cat web_2026\-11\-23\-120000.sha256)" web_2026\-11\-23\-120000.txz
.fi
.SS OCI image: build, validate, push, pull, unpack
A layer is a jsnap tar; \fBjspec new \-\-format oci\fR writes an OCI image layout (or, with
\fB\-\-archive\fR, an archive) and \fBjspec validate\fR checks one (digests, sizes, diff_ids);
\fBjfetch\fR pulls from and pushes to registries (API v2, Basic and Bearer token auth);
\fBjsnap send \-\-base\fR writes the changes between two trees as a layer with whiteouts,
\fBjsnap send \-\-layer \-\-from\fR the changes between two snapshots, and
\fBjsnap recv \-\-layer\fR applies a stack all or nothing. A Docker v2 manifest a
registry serves is converted to OCI as skopeo converts it.
.nf
jsnap send \-\-dir ROOT | jpack \-c gzip > layer.tgz
jspec new \-\-format oci \-\-os freebsd \-a amd64 \-\-ref\-name web:1.0 \-o web.oci layer.tgz
jfetch \-\-push web.oci docker://registry.example:5000/web:1.0
jfetch \-o pulled.oci \-\-platform freebsd/amd64 docker://registry.example:5000/web:1.0
jsnap send \-\-dir NEW \-\-base OLD | jpack \-c gzip > changes.tgz
jsnap send \-\-layer \-\-from @v1 tank/jails/web@v2 | jpack \-c gzip > changes.tgz
jsnap recv \-\-dir rootfs \-\-layer layer.tgz \-\-layer changes.tgz
.fi
examples/oci.sh does build, push, pull and unpack in POSIX sh, signing the manifest bytes
(OUTDIR/manifest.minisig) with SIGN_KEY and verifying them with VERIFY_KEY; and from an
image (a layout, an OCI archive such as FreeBSD's .txz, or a registry REF) it makes the
jail \fBappjail oci from\fR makes (without buildah), a Bastille release or a pot base:
.nf
oci.sh appjail IMAGE JAIL /usr/local/appjail/jails
oci.sh bastille container\-image\-static.txz 14.3\-RELEASE zroot/bastille/releases
oci.sh pot container\-image\-static.txz 14.3 zroot/pot
.fi
.SS Publish signed, verify before trusting
A digest says the bytes are the ones the metadata names; a signature says a trusted key
published the metadata. \fBjsum\fR writes and reads minisign and OpenBSD signify files
(Ed25519), and each of minisign, signify and jsum verifies what the others sign.
.nf
jsum \-\-keygen \-s release.key \-p release.pub     # once; release.key is mode 0600
jsum \-\-sign \-s release.key \-t "web 1.0 amd64" web.ajspec    # web.ajspec.minisig
jsnap send \-\-dir web | jpack \-c xz \e
  | jsum \-\-tee \-\-sign \-s release.key \-x web.txz.minisig > web.txz
jsum \-\-verify \-p release.pub web.ajspec web.txz   # 0 all good, 1 any bad
.fi
Exit status 1 names the reason (missing signature, wrong key id, bad signature, changed
trusted comment); 2 means a malformed key or signature file, with its line. Passwords come
from \fB\-\-password\-file\fR or \fB\-\-password\-fd\fR, never the command line.
.PP
\fBjfetch\fR checks signatures itself: with \fB\-\-pubkey\fR a spec (a path or an http(s)
URL) is trusted only when SPEC.minisig (or SPEC.sig, or \fB\-\-spec\-sig\fR) beside it
verifies, and an unsigned or wrongly signed spec exits 1 before any image request;
\fB\-\-sig\fR checks a signed image while it streams (legacy and signify signatures need
\fB\-o\fR).
.nf
jfetch \-\-pubkey release.pub \-\-spec https://mirror/web/.ajspec \-o web.txz
jfetch \-\-pubkey release.pub \-\-sig https://mirror/web.txz.minisig \e
  https://mirror/web.txz | jpack \-d | jsnap recv \-\-dir jails/web
.fi
.SH RECIPES
Complete workflows, each an example script in the source tree's examples/ directory
(examples/appjail.sh, pot.sh, smartos.sh, bastille.sh, aci.sh) and a test of the test suite;
examples/jtools.mk gives Make macros for them.
.SS AppJail: export, publish with two mirrors, fetch, import, run
.nf
jsnap send \-\-dir web ./jail/ ./init ./conf/volumes/ ./conf/config.conf \e
  | jpack \-c xz > latest\-amd64\-image.appjail
jspec new \-\-format ajspec \-\-name web \-\-tag latest \-\-arch amd64 \e
  \-\-source https://m1.example/web/latest\-amd64\-image.appjail \e
  \-\-source https://m2.example/web/latest\-amd64\-image.appjail \e
  \-o web.ajspec latest\-amd64\-image.appjail
jfetch \-\-spec web.ajspec \-t latest \-a amd64 \-o img.appjail
jpack \-d < img.appjail | jsnap recv \-\-dir imported.tmp && mv imported.tmp imported
jrun \-\-root imported/jail \-\- /bin/sh \-c 'echo hello'
.fi
.SS pot: export from ZFS, .meta and .skein, import from a base URL
.nf
jsnap create \-r zroot/pot/jails/web@img
jsnap send \-R zroot/pot/jails/web@img | jpack \-c xz \-o web_1.0.xz
jspec new \-\-format pot\-meta \-o web_1.0.xz.meta
cat web_1.0.xz web_1.0.xz.meta | jsum \-a skein1024 \-q \-o web_1.0.xz.skein
jfetch \-o web_1.0.xz "$BASE/web_1.0.xz"; jfetch \-o web_1.0.xz.meta "$BASE/web_1.0.xz.meta"
cat web_1.0.xz web_1.0.xz.meta | jsum \-\-expect "$(cat web_1.0.xz.skein)"
jpack \-d < web_1.0.xz | jsnap recv zroot/pot/jails/web_1_0
.fi
\fBjsnap recv\fR of a new dataset receives it unmounted under a temporary name, renames it
into place and then mounts it and its children (the pot's \fIm\fR) where they inherit their
mountpoints; \fB\-u\fR leaves them unmounted. A receive whose only failure is the mount exits
2 and keeps the dataset.
.SS SmartOS: gzip'd zfs stream, manifest, install
.nf
jsnap send zones/web@1.0.0 | jpack \-c gzip \-o web\-1.0.0.zfs.gz
jspec new \-\-format imgadm \-\-name web \-\-version 1.0.0 \-\-os smartos \-\-type zone\-dataset \e
  \-o web\-1.0.0.imgmanifest web\-1.0.0.zfs.gz
jfetch \-\-spec web\-1.0.0.imgmanifest \-\-source\-base "$IMGAPI/images" \-o file
jpack \-d < file | jsnap recv zones/web
.fi
.SS Signed workflows
The example scripts sign on export with SIGN_KEY=SECKEY and verify on import with
VERIFY_KEY=PUBKEY, before a single digest from the metadata is trusted:
.nf
jsum \-\-verify \-p release.pub web.ajspec && jfetch \-\-spec web.ajspec \-t latest \-a amd64 \-o img
jsum \-\-verify \-p release.pub web_1.0.xz.skein    # then fetch .meta and .xz
jsum \-\-verify \-p release.pub web_DATE.sha256 && jsum \-\-expect "$(cat web_DATE.sha256)" web_DATE.txz
jsum \-\-verify \-p release.pub \-x manifest.minisig manifest
.fi
.SS ACI: manifest and rootfs, image ID
.nf
jspec new \-\-format aci \-\-name example.com/web \-o dir/manifest
jsnap send \-\-dir dir manifest rootfs | jpack \-c xz > web.aci
jspec aci\-id web.aci
.fi
.SH "SEE ALSO"
\fBjsnap\fR(1), \fBjpack\fR(1), \fBjsum\fR(1), \fBjfetch\fR(1), \fBjspec\fR(1), \fBjrun\fR(1)
"#;
