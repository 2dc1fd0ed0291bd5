# Helpers the load scripts share (sourced by load.sh, stores.sh and
# python.sh): they need BASE (the server's address) and WORK (the cookie
# jar's directory).

# The token of the form on page $1 that posts to $2 (default: the first
# form's; cookies in $WORK/jar). The header's language switch has a token
# of its own, and an area's forms carry the area's.
csrf_of() {
    curl -fsS -b "$WORK/jar" -c "$WORK/jar" "$BASE$1" | python3 -c '
import html, re, sys
page, action = html.unescape(sys.stdin.read()), sys.argv[1]
at = page.find("action=\"" + action + "\"") if action else 0
m = re.compile(r"name=\"_csrf\" value=\"([^\"]*)\"").search(page, max(at, 0))
print(m.group(1) if m else "")' "${2:-}"
}

# The path and query of the newest e-mail confirmation link in the mailbox
# directory $1 (quoted-printable decoded), or nothing.
confirmation_link() {
    python3 - "$1" <<'PY'
import email, email.policy, pathlib, re, sys
box = pathlib.Path(sys.argv[1])
mails = sorted(box.glob("*.eml")) if box.is_dir() else []
for path in reversed(mails):
    body = email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_content()
    m = re.search(r"https?://[^/\s]+(/email/confirm\?t=\S+)", body)
    if m:
        print(m.group(1))
        break
PY
}

# The address `portico serve` (pid $1) printed in the file $2, once it
# listens; exits the script with its stderr (file $3) if it stopped first,
# or after $4 tries of 0.1 s. $5 names it in the messages.
wait_listening() {
    local pid=$1 stdout=$2 stderr=$3 tries=$4 name=$5 base=
    for _ in $(seq 1 "$tries"); do
        base=$(sed -n 's/^Portico listening on \(http:[^ ]*\).*/\1/p' "$stdout")
        [[ -n "$base" ]] && { echo "$base"; return; }
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$name: portico exited:" >&2
            cat "$stderr" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "$name: portico did not start within $((tries / 10)) s" >&2
    exit 1
}

# Signs up Ada Bench, opens the confirmation link the portal wrote to the
# mailbox directory $1, signs in, and creates structure $SIRET as its primary
# manager; sets COOKIE (the session, and English pages). With $2 = optional,
# no mail is fine: a build from before e-mail confirmation (a baseline)
# signed the person in at once and mailed nothing. $3 names the script in
# its messages.
bench_account() {
    local mailbox=$1 confirm=${2:-required} name=${3:-bench} token link
    rm -f "$WORK/jar"
    token=$(csrf_of /signup)
    curl -fsS -o /dev/null -b "$WORK/jar" -c "$WORK/jar" --data-urlencode "_csrf=$token" \
        --data-urlencode first-name=Ada --data-urlencode last-name=Bench \
        --data-urlencode email=ada@bench.example --data-urlencode "password=correct horse battery staple" \
        "$BASE/signup"
    for _ in $(seq 1 50); do
        link=$(confirmation_link "$mailbox")
        [[ -n "$link" ]] && break
        sleep 0.1
    done
    if [[ -n "$link" ]]; then
        token=$(csrf_of "$link")
        curl -fsS -o /dev/null -b "$WORK/jar" -c "$WORK/jar" --data-urlencode "_csrf=$token" \
            --data-urlencode "t=${link#*\?t=}" "$BASE${link%%\?*}"
        token=$(csrf_of /login)
        curl -fsS -o /dev/null -b "$WORK/jar" -c "$WORK/jar" --data-urlencode "_csrf=$token" \
            --data-urlencode email=ada@bench.example --data-urlencode "password=correct horse battery staple" \
            "$BASE/login"
    elif [[ "$confirm" != optional ]]; then
        echo "$name: no confirmation mail in $mailbox" >&2
        exit 1
    fi
    token=$(csrf_of /me/my-account /me/my-account/structures)
    curl -fsS -o /dev/null -b "$WORK/jar" -c "$WORK/jar" --data-urlencode "_csrf=$token" \
        --data-urlencode identifier-type=siret --data-urlencode "identifier=$SIRET" \
        --data-urlencode "name=Ateliers Dupont" --data-urlencode kind=private \
        "$BASE/me/my-account/structures"
    COOKIE=$(awk '!/^#/ || /^#HttpOnly_/ { sub(/^#HttpOnly_/, ""); if (NF >= 7 && $6 != "portico_lang") printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 }' "$WORK/jar")
    # Every build serves the page in English (French is the default since
    # issue 11; a build from before it ignores the cookie).
    COOKIE="$COOKIE; portico_lang=en"
}
