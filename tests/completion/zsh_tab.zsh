# Types each LINE and TAB into one interactive zsh (compinit, the completion in DIR on $fpath)
# under zpty, and prints what the terminal shows after each, a line "@@" after each.
# Usage: zsh zsh_tab.zsh DIR LINE...
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; fpath=('"$1"' $fpath); autoload -Uz compinit; compinit -u -D; unsetopt zle_bracketed_paste; print READY'
zpty -r -m z line '*READY*'
zpty -r -m z line '*READY*'
shift
for typed in "$@"; do
  zpty -w -n z "$typed"$'\t'
  # Until the terminal has been quiet for 0.3 s after the completion's output.
  out=""
  sleep 0.3
  while zpty -r -t z chunk; do out+=$chunk; sleep 0.1; done
  print -r -- "$out"
  print -r -- "@@"
  zpty -w -n z $'\C-e\C-u'
  sleep 0.1
  while zpty -r -t z chunk; do :; done
done
zpty -d z
