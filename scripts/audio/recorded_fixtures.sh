#!/usr/bin/env bash
# Make the recorded-sound fixtures fixtures/audio/recorded_*.wav from audio files shipped in
# Debian 12 (bookworm) packages. Run from the repository root by scripts/audio/regenerate
# (after make_fixtures.py, before reference.py); it also works on its own.
#
# Steps: install sox + libsox-fmt-all with apt-get if sox or its ogg/mp3 support is missing
# (needs root); `apt-get download PKG=VERSION` each package into .cache/debs/ (skipped when the
# .deb is already there); check each .deb against the sha256 pinned below (the SHA256 field of
# `apt-cache show PKG=VERSION`); extract it with `dpkg-deb -x` into .cache/debs/x/PKG; check the
# sha256 of each source file; convert with SoX. The conversion is the one the files were chosen
# with: `sox -D IN -b 16 OUT remix - gain -3 rate -v 16000 [trim ...]`, i.e. no dither (-D, so a
# re-run is byte-identical), channels averaged, 3 dB of headroom for the resampler, very-high-
# quality resampling to 16 kHz, 16-bit PCM; no normalisation. Licences and provenance:
# fixtures/audio/README.md ("Recorded sounds") and fixtures/audio/LICENSES-recorded.md.
# Download size: about 395 MB of .debs (freedroidrpg-data alone is 228 MB), kept in .cache/debs.
set -euo pipefail
cd "$(dirname "$0")/../.."

DEBS=.cache/debs
OUT=fixtures/audio
SR=16000

die() { echo "recorded_fixtures.sh: $*" >&2; exit 1; }

# package | version | sha256 of the .deb
PACKAGES=(
  "caveexpress-data|2.5.2-1|b12d0d164ec53c37d37eb9755ac09635bc489ff000351fedeaa75e98cae82390"
  "searchandrescue-data|1.3.0-1.1|0036c09a92a90a2ce4ac3dde026bb90cc306cd1964f24749c0229926ff36d1d3"
  "brainparty-data|0.61+dfsg-7|fc01026824b6274eff222c9163ba134fc90889bd7d688091ffdee8e12cefc4d4"
  "freedroidrpg-data|1.0-1|16c3cfeb82b1ec20c98493bbe1de2e356bd1aec832845630a5a7f12e303baa2b"
  "scorched3d-data|44+dfsg-8|b0be0a6d561966a62b1f135e0e6f5681c85f12e34ecad5777cb1af9fbcb7f1da"
  "scratch|1.4.0.6~dfsg1-6.1|36c582eb93110f64f06c4e685c41e933ccba2fa68db12f79b10bfe840b21fc10"
  "xemacs21-basesupport|2009.02.17.dfsg.3-1|439b91026324abc90a975df7aaaecdedd984a83a2524c0d2ab3f64a5dc79cebb"
  "lmms-common|1.2.2+dfsg1-6|7d9aa55dd05f11edc57104203ee1c350e3e41f8936ab3741da2bb1158fd46c37"
  "pychess|1.0.3-1|63bd95b5445365566eade8122d64ba3d28e38b167bb791db479654b3291698a5"
)

# package | path in the package | sha256 of that file
SOURCES=(
  "caveexpress-data|/usr/share/games/caveexpress/sounds/crate-hit4.ogg|3340820ba340966aedbcb72f15ed8846c1443f5245e677fe72ccd5aaef2f8d9c"
  "searchandrescue-data|/usr/share/games/searchandrescue/sounds/door_close.wav|1e34ff6dcc9c6c605ae32c8155c2119e5ac25b379d6c3bf45b1f9ec8e904d454"
  "brainparty-data|/usr/share/games/brainparty/glass_break.wav|89f5a2e3074bb1ecfa2951697f7cf1fc433466c24bd37eeb32fae8cc75209842"
  "freedroidrpg-data|/usr/share/freedroidrpg/data/sound/effects/Glass_Break.ogg|137eaff7c345ab73669de5595d1e517914266dfc9b0c81e0139bebf8770b1c1f"
  "scorched3d-data|/usr/share/games/scorched3d/data/globalmods/apoc/data/wav/misc/scream3.wav|260e55068a24aa0b13f4c2e2aa2b866fb29f742dcd5ba3c1d363903cef218784"
  "scratch|/usr/share/scratch/Media/Sounds/Human/BabyCry.mp3|44995a57baa6ba2d31bfa3bf3d9fd261a0d4a7ffc691902b2c03bf76ddaef197"
  "scratch|/usr/share/scratch/Media/Sounds/Human/Cough-male.wav|44c01df16d3a7ddf193faef52d02a3022d2b32ddb7eaf4c2b67a7bedadcb671d"
  "xemacs21-basesupport|/usr/share/xemacs21/xemacs-packages/etc/sounds/cry.wav|c8bee16bd3fd22c198a10307cb35dd13079b0228cc2c959fe4229b4d965f6c18"
  "lmms-common|/usr/share/lmms/samples/misc/breath01.ogg|37d6b969440a3dcc18125b1be6b8fbdbbe1704377f8596fe35613766e2892b67"
  "pychess|/usr/share/pychess/sounds/alarm.ogg|2435c4354d7b01fbd913f1235d36f0a43004d26caecc255541d764c35327c486"
)

sha() { sha256sum "$1" | cut -d' ' -f1; }

ensure_tools() {
  local t
  for t in apt-get dpkg-deb sha256sum; do
    command -v "$t" >/dev/null || die "needs $t (a Debian system)"
  done
  local ok=1
  if command -v sox >/dev/null; then
    local formats
    formats=$(sox -h 2>&1 | grep '^AUDIO FILE FORMATS:' || true)
    case " $formats " in *" ogg "*) ;; *) ok=0 ;; esac
    case " $formats " in *" mp3 "*) ;; *) ok=0 ;; esac
  else
    ok=0
  fi
  [ "$ok" = 1 ] && return
  [ "$(id -u)" = 0 ] || die "sox with ogg and mp3 support is missing: run 'apt-get install -y sox libsox-fmt-all' as root"
  echo "installing sox libsox-fmt-all" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sox libsox-fmt-all
}

# fetch PKG VERSION SHA256: download (unless present), check, extract (unless already done).
fetch() {
  local pkg=$1 ver=$2 want=$3 deb got x
  deb="$DEBS/${pkg}_${ver//:/%3a}_all.deb"
  if [ ! -f "$deb" ]; then
    echo "apt-get download $pkg=$ver" >&2
    if ! (cd "$DEBS" && apt-get download -q "$pkg=$ver" >&2); then
      [ "$(id -u)" = 0 ] || die "apt-get download $pkg=$ver failed (try 'apt-get update' as root)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      (cd "$DEBS" && apt-get download -q "$pkg=$ver" >&2) || die "apt-get download $pkg=$ver failed"
    fi
    [ -f "$deb" ] || die "apt-get download $pkg=$ver did not give $deb"
  fi
  got=$(sha "$deb")
  [ "$got" = "$want" ] || die "sha256 mismatch for $deb: got $got, pinned $want (delete the file to download it again)"
  x="$DEBS/x/$pkg"
  if [ "$(cat "$x/.deb-sha256" 2>/dev/null || true)" != "$want" ]; then
    rm -rf "$x" "$x.tmp"
    mkdir -p "$x.tmp"
    dpkg-deb -x "$deb" "$x.tmp"
    echo "$want" > "$x.tmp/.deb-sha256"
    mv "$x.tmp" "$x"
  fi
}

# src PKG PATH: the extracted file's path, after checking its pinned sha256.
src() {
  local pkg=$1 path=$2 entry p f h
  for entry in "${SOURCES[@]}"; do
    IFS='|' read -r p f h <<< "$entry"
    if [ "$p" = "$pkg" ] && [ "$f" = "$path" ]; then
      local file="$DEBS/x/$pkg$path" got
      [ -f "$file" ] || die "missing $file (remove $DEBS/x/$pkg to extract again)"
      got=$(sha "$file")
      [ "$got" = "$h" ] || die "sha256 mismatch for $file: got $got, pinned $h (remove $DEBS/x/$pkg to extract again)"
      echo "$file"
      return
    fi
  done
  die "no pinned sha256 for $pkg $path"
}

# convert IN OUT [trim ...]: the conversion chain used to choose the files.
convert() {
  local in=$1 out=$2
  shift 2
  sox -D "$in" -b 16 "$out" remix - gain -3 rate -v "$SR" "$@"
}

# silence SECONDS OUT: digital silence (all samples 0; -D so no dither noise), 16 kHz mono 16-bit.
silence() {
  sox -D -n -r "$SR" -c 1 -b 16 "$2" trim 0 "$1"
}

main() {
  ensure_tools
  mkdir -p "$DEBS/x" "$OUT"
  local entry pkg ver want
  for entry in "${PACKAGES[@]}"; do
    IFS='|' read -r pkg ver want <<< "$entry"
    fetch "$pkg" "$ver" "$want"
  done

  TMP=$(mktemp -d "$DEBS/work.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT

  # fixture NAME PKG PATH [trim ...]: convert into TMP, then move into fixtures/audio/.
  fixture() {
    local name=$1 pkg=$2 path=$3 in
    shift 3
    in=$(src "$pkg" "$path")
    convert "$in" "$TMP/$name" "$@"
  }

  fixture recorded_impact_crate_hit.wav caveexpress-data /usr/share/games/caveexpress/sounds/crate-hit4.ogg
  fixture recorded_impact_door_slam.wav searchandrescue-data /usr/share/games/searchandrescue/sounds/door_close.wav
  fixture recorded_glass_break_brainparty.wav brainparty-data /usr/share/games/brainparty/glass_break.wav
  fixture recorded_glass_break_freedroidrpg.wav freedroidrpg-data /usr/share/freedroidrpg/data/sound/effects/Glass_Break.ogg
  fixture recorded_scream.wav scorched3d-data /usr/share/games/scorched3d/data/globalmods/apoc/data/wav/misc/scream3.wav
  fixture recorded_crying_baby.wav scratch /usr/share/scratch/Media/Sounds/Human/BabyCry.mp3
  # the source's first 1.5 s are laughter
  fixture recorded_sobbing.wav xemacs21-basesupport /usr/share/xemacs21/xemacs-packages/etc/sounds/cry.wav trim 1.5
  # the rest of the 5.15 s source is silence
  fixture recorded_breathing.wav lmms-common /usr/share/lmms/samples/misc/breath01.ogg trim 0 3.4
  fixture recorded_fire_alarm_bell.wav pychess /usr/share/pychess/sounds/alarm.ogg trim 0 5

  # Coughing fit: the one converted cough four times, with 0.35, 0.25 and 0.45 s of digital
  # silence between and 0.3 s before and after, concatenated by sox (same format throughout,
  # so no conversion or dither happens in the concatenation).
  fixture cough.wav scratch /usr/share/scratch/Media/Sounds/Human/Cough-male.wav
  local s
  for s in 0.3 0.35 0.25 0.45; do silence "$s" "$TMP/sil_$s.wav"; done
  sox -D "$TMP/sil_0.3.wav" "$TMP/cough.wav" "$TMP/sil_0.35.wav" "$TMP/cough.wav" "$TMP/sil_0.25.wav" \
    "$TMP/cough.wav" "$TMP/sil_0.45.wav" "$TMP/cough.wav" "$TMP/sil_0.3.wav" "$TMP/recorded_coughing_fit.wav"
  rm -f "$TMP/cough.wav" "$TMP"/sil_*.wav

  local f
  for f in "$TMP"/recorded_*.wav; do
    mv "$f" "$OUT/$(basename "$f")"
  done
  (cd "$OUT" && sha256sum recorded_*.wav)
}

main "$@"
