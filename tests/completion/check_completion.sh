#!/usr/bin/env bash
# Shell completion in the three shells, each running the script `convpool help --completion
# SHELL` prints: bash (with Debian's bash-completion) by calling the completion function with
# COMP_WORDS as bash splits the line (`:` and `=` are in COMP_WORDBREAKS, a quoted -p is one
# word), fish with `complete -C`, zsh by typing TAB into an interactive zsh under zpty. A
# missing shell fails the test. Usage: check_completion.sh path/to/convpool
set -euo pipefail
convpool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
ln -s "$convpool" "$work/bin/convpool"
export PATH="$work/bin:$PATH"
for shell in bash zsh fish; do
  command -v "$shell" >/dev/null || { echo "check_completion: $shell is not installed" >&2; exit 1; }
  convpool help --completion "$shell" >"$work/convpool.$shell"
done
[ -f /usr/share/bash-completion/bash_completion ] ||
  { echo "check_completion: bash-completion is not installed" >&2; exit 1; }
cp "$work/convpool.zsh" "$work/_convpool"
failed=0
expect() {  # expect SHELL LINE GOT WANT
  if [ "$3" != "$4" ]; then
    printf 'check_completion: %s: %s\n  got:  %s\n  want: %s\n' "$1" "$2" "$3" "$4" >&2
    failed=1
  fi
}

# bash: LINE, then the COMP_WORDS bash makes of it (as a bash array literal).
bash_complete() {
  bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"
    COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; eval "COMP_WORDS=($3)"
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _convpool
    printf "%s " "${COMPREPLY[@]}"' _ "$work/convpool.bash" "$1" "$2"
}
b() { expect bash "$1" "$(bash_complete "$1" "$2")" "$3"; }
b 'convpool ' "convpool ''" 'run shape bench layers kernel merge-reports ops compare probe explain help '
b 'convpool ke' 'convpool ke' 'kernel '
b 'convpool sh' 'convpool sh' 'shape '
b 'convpool ex' 'convpool ex' 'explain '
b 'convpool la' 'convpool la' 'layers '
b 'convpool explain --c' 'convpool explain --c' '--crop --cell '
b 'convpool run --col' 'convpool run --col' '--colormap --columns '
b 'convpool run --pic' 'convpool run --pic' '--picture-size '
b 'convpool run --colormap vi' 'convpool run --colormap vi' 'viridis '
b 'convpool run --colormap=in' 'convpool run --colormap = in' 'inferno '
b 'convpool run -p pool:' 'convpool run -p pool :' 'max avg min lp gem soft mixed median blur maxblur global-max global-avg global-gem spp adaptive-max adaptive-avg stochastic fractional '
b 'convpool run -p pool:max,' 'convpool run -p pool : max,' 'max,k= max,kernel= max,kernel-size= max,s= max,stride= max,pad= max,padding= max,dilation= max,ceil= max,ceil-mode= max,switches= max,return-indices= '
b 'convpool run -p pool:max,ceil=t' 'convpool run -p pool : max,ceil = t' 'true '
b 'convpool run -p "pool:max,s' 'convpool run -p \"pool:max,s' 'pool:max,s= pool:max,stride= pool:max,switches= '
b 'convpool run -p "conv:sob' 'convpool run -p \"conv:sob' 'conv:sobel-x conv:sobel-y '
b 'convpool run -p "gray | po' 'convpool run -p \"gray\ \|\ po' 'gray | pool:max gray | pool:avg gray | pool:min gray | pool:lp gray | pool:gem gray | pool:soft gray | pool:mixed gray | pool:median gray | pool:blur gray | pool:maxblur gray | pool:global-max gray | pool:global-avg gray | pool:global-gem gray | pool:spp gray | pool:adaptive-max gray | pool:adaptive-avg gray | pool:stochastic gray | pool:fractional '
b 'convpool help com' 'convpool help com' 'compare '
b 'convpool ops pool:gl' 'convpool ops pool : gl' 'global-max global-avg global-gem '

# fish: complete -C prints the candidates, sorted.
f() {
  expect fish "$1" "$(fish -c 'source $argv[1]; complete -C $argv[2]' "$work/convpool.fish" "$1" |
    cut -f1 | tr '\n' ' ')" "$2"
}
f 'convpool sh' 'shape '
f 'convpool run --colormap tw' 'twilight '
f 'convpool run -p pool:max,ce' 'pool:max,ceil= pool:max,ceil-mode= '
f 'convpool run -p "gray | pool:max,st' 'gray | pool:max,stride= '
f 'convpool shape --semantics ' 'all caffe onnx tf torch '
f 'convpool explain --semantics ' 'caffe onnx tf torch '
f 'convpool run --pages ' 'channels items '
f 'convpool run --npy-layout nh' 'nhw nhwc '

# zsh: the line as it stands after TAB, in one interactive zsh with compinit.
zsh_lines=('convpool run --colormap vi' 'convpool sha' 'convpool run -p "pool:max,dil'
           'convpool run -p pool:fr')
zsh_want=('convpool run --colormap viridis ' 'convpool shape ' 'convpool run -p "pool:max,dilation='
          'convpool run -p pool:fractional')
args=()
for i in "${!zsh_lines[@]}"; do args+=("${zsh_lines[$i]}" "${zsh_want[$i]}"); done
screens=$(zsh "$here/zsh_tab.zsh" "$work" "${args[@]}" | tr -d '\r' |
  sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g')
for i in "${!zsh_lines[@]}"; do
  screen=$(awk -v n="$i" '/^@@$/ { k++; next } k == n' <<<"$screens")
  case $screen in
    *"${zsh_want[$i]}"*) ;;
    *) expect zsh "${zsh_lines[$i]}" "$screen" "a line ending in: ${zsh_want[$i]}" ;;
  esac
done

[ $failed -eq 0 ] && echo "check_completion: bash, fish and zsh complete as expected"
exit $failed
