# Shell functions shared by the .ci scripts (sourced, not run).

# install_tools WHY: `make tools` (the tools venv, .venv), saying why; pip's output
# only when it fails.
install_tools() {
    local out
    echo "$1: installing the tools into .venv (make tools)"
    if ! out=$(make --no-print-directory tools 2>&1); then
        echo "$out" >&2
        echo "ERROR: 'make tools' failed" >&2
        return 2
    fi
}

free_port() {  # a TCP port free on loopback
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_report_server DB ADDONS LOG: serve DB on a free loopback port, so that
# wkhtmltopdf can fetch the reports' styles, with a patched-Qt wkhtmltopdf on PATH.
# Sets REPORT_URL and REPORT_SERVER_PID; the caller stops the server.
start_report_server() {
    local db=$1 addons=$2 log=$3 port wkhtmltopdf_dir
    wkhtmltopdf_dir=$(.ci/odoo-wkhtmltopdf) || return 2
    export PATH="$wkhtmltopdf_dir:$PATH"
    port=$(free_port)
    # shellcheck disable=SC2086  # ODOO_BIN may be "PYTHON path/to/odoo-bin"
    $ODOO_BIN -d "$db" --addons-path="$addons" --http-interface=127.0.0.1 --http-port="$port" \
        --max-cron-threads=0 >>"$log" 2>&1 &
    REPORT_SERVER_PID=$!
    REPORT_URL="http://127.0.0.1:$port"
    for _ in $(seq 60); do
        curl -fs "$REPORT_URL/web/health" >/dev/null 2>&1 && return 0
        sleep 1
    done
    echo "ERROR: Odoo did not answer on $REPORT_URL; see $log" >&2
    return 1
}
