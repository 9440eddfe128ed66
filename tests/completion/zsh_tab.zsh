# Types each LINE and TAB into one interactive zsh (compinit, the completion in DIR on $fpath)
# under zpty, and prints what the terminal shows after each, a line "@@" after each. It waits
# for the terminal to show WANT, or 10 s (a slow, sanitized build). Usage:
# zsh zsh_tab.zsh DIR LINE WANT [LINE WANT]...
setopt extendedglob
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; fpath=('"$1"' $fpath); autoload -Uz compinit; compinit -u -D; unsetopt zle_bracketed_paste; print READY'
zpty -r -m z line '*READY*'
zpty -r -m z line '*READY*'
shift
while (( $# >= 2 )); do
  typed=$1 want=$2
  shift 2
  zpty -w -n z "$typed"$'\t'
  out=""
  for _ in {1..100}; do
    sleep 0.1
    while zpty -r -t z chunk; do out+=$chunk; done
    [[ ${out//$'\e'\[[0-9;?]#[a-zA-Z]/} == *"$want"* ]] && break
  done
  print -r -- "$out"
  print -r -- "@@"
  zpty -w -n z $'\C-e\C-u'
  sleep 0.1
  while zpty -r -t z chunk; do :; done
done
zpty -d z
