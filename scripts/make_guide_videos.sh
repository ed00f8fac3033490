#!/usr/bin/env bash
# Sample guide videos of the demo items (flows/<item>/guide.webm) and their subtitles (guide.<locale>.srt).
#
# A hall films its own; these show the shape: one card per step, 3 s each,
# 480x270 at 5 fps (under software GL every video frame redraws the whole
# screen: a 25 fps film costs a kiosk without a GPU most of a core), VP8 in WebM without sound (the kiosk plays guide videos
# muted: what a video says goes in its subtitles). VP8 rather than H.264: it
# is royalty-free, and its decoder costs the kiosk about 8 MiB less resident
# memory while playing (ffpyplayer, measured); .mp4 (H.264) plays as well. Drawn with ffmpeg's lavfi
# (colour, drawbox, drawtext), a few KiB each, so they are committed and a
# fresh checkout lints and plays without ffmpeg. Run again after changing a step:
#     bash scripts/make_guide_videos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
FONT=${FONT:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}
STEP_S=3

srt_time() { printf '00:00:%02d,000' "$1"; }

# make <flow folder> <zh step>|<en step> ...
make() {
  local dir=flows/$1; shift
  local n=$# i=0 filters="drawbox=x=0:y=0:w=iw:h=48:color=0x0B4F8A:t=fill"
  : > "$dir/guide.zh-CN.srt"; : > "$dir/guide.en.srt"
  for pair in "$@"; do
    local zh=${pair%%|*} en=${pair#*|} a=$((i * STEP_S)) b=$(((i + 1) * STEP_S))
    # the step's number, its words in the middle
    filters+=",drawtext=fontfile=$FONT:text='$((i + 1)) / $n':fontsize=26:fontcolor=white:x=16:y=10:enable='between(t,$a,$b)'"
    filters+=",drawtext=fontfile=$FONT:text='$zh':fontsize=40:fontcolor=0x0A2949:x=(w-text_w)/2:y=100:enable='between(t,$a,$b)'"
    filters+=",drawtext=fontfile=$FONT:text='$en':fontsize=22:fontcolor=0x1C1C1F:x=(w-text_w)/2:y=170:enable='between(t,$a,$b)'"
    printf '%d\n%s --> %s\n%s\n\n' $((i + 1)) "$(srt_time $a)" "$(srt_time $b)" "第$((i + 1))步：$zh" >> "$dir/guide.zh-CN.srt"
    printf '%d\n%s --> %s\n%s\n\n' $((i + 1)) "$(srt_time $a)" "$(srt_time $b)" "Step $((i + 1)): $en" >> "$dir/guide.en.srt"
    i=$((i + 1))
  done
  # the time through the whole guide: a bar sliding in along the bottom
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "color=c=0xE6EDF6:s=480x270:r=5:d=$((n * STEP_S))" \
    -f lavfi -i "color=c=0xFFC83D:s=480x8:r=5:d=$((n * STEP_S))" \
    -filter_complex "[0:v]$filters[cards];[cards][1:v]overlay=x='-W+W*t/$((n * STEP_S))':y=262:shortest=1" -c:v libvpx -crf 40 -b:v 24k -g 90 -pix_fmt yuv420p -an "$dir/guide.webm"
}

make social-security-certificate "刷身份证|Place your ID card" "同意查询|Agree to the look-up" \
  "核对信息|Check your record" "取走证明|Take your certificate"
make medical-insurance-query "刷身份证|Place your ID card" "同意查询|Agree to the look-up" \
  "查看信息|Read your information" "取走凭条|Take your slip"
make housing-fund-query "刷身份证|Place your ID card" "同意查询|Agree to the look-up" \
  "查看缴存|Read your deposits" "取走凭条|Take your slip"
make real-estate-query "刷身份证|Place your ID card" "确认本人|Confirm it is you" \
  "核对信息|Check the records" "取走证明|Take the document"
make no-criminal-record "刷身份证|Place your ID card" "同意查询|Agree to the look-up" \
  "选择用途|Choose the purpose" "取走证明|Take your certificate"
make queue-ticket "选择业务|Choose a service" "取走号票|Take your ticket" "等候叫号|Wait for your number"
make one-thing "刷一次身份证|One ID card read" "逐项办理|Item by item" "取走全部材料|Take all your papers"
ls -l flows/*/guide.webm
