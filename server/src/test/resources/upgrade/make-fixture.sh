#!/usr/bin/env bash
# Makes previous-release.db: the embedded database as the previous release left it (schema V1..V10, before V11's
# sync_config), with data written through that release's own HTTP API. Run once, from the repository root:
#   server/src/test/resources/upgrade/make-fixture.sh 9729972
# It builds that commit's jar from `git archive` (the repository is not touched), starts it on a fresh folder with the
# fixed test key below, writes a project, two environments, secrets, a changed value (history) and an API token, stops
# it (which folds the WAL into the file) and compacts the file. The key and tokens are test-only, made for this file.
# Why a checked-in file rather than applying V1..V10 in the test: only the old code writes data the way the old code
# did (its encryption, its history and audit rows); the current stores no longer match that schema.
set -euo pipefail
commit=${1:?the commit of the previous release}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(pwd)
work=$(mktemp -d)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
jar=${EK_PREVIOUS_JAR:-}   # that commit's ek-server.jar when already built
if [ -z "$jar" ]; then
  git -C "$repo" archive "$commit" | tar -x -C "$work/"
  [ -f "$repo/.mvn/maven.config" ] && cp "$repo/.mvn/maven.config" "$work/.mvn/"
  (cd "$work" && ./mvnw -q -B -DskipTests -pl server -am package)
  jar=$work/server/target/ek-server.jar
fi
key=$(cat "$here/previous-release.key")
data=$work/data
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$("$JAVA_HOME/bin/java" -jar "$jar" init --workspace acme --email owner@example.com --data-dir="$data" --master-key="$key" 2>/dev/null)
"$JAVA_HOME/bin/java" -jar "$jar" --data-dir="$data" --master-key="$key" --http-host=127.0.0.1 --http-port="$port" 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
base=http://127.0.0.1:$port/v1/workspace/acme
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
call() { curl -sf -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$base$2" ${3:+-d "$3"}; }
team=$(call GET /team | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
call POST /project "{\"name\":\"web\",\"slug\":\"web\",\"teamId\":\"$team\"}" >/dev/null
prod=$(call POST /project/web/environment '{"name":"production","hasPersonalOverrides":false}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
dev=$(call POST /project/web/environment '{"name":"dev","hasPersonalOverrides":true}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
call POST /project/web/secret "{\"environments\":[\"$prod\",\"$dev\"],\"secrets\":[
  {\"key\":\"DB_HOST\",\"value\":\"db.internal\",\"type\":\"runtime\",\"dataType\":\"text\"},
  {\"key\":\"DATABASE_URL\",\"value\":\"postgres://\${DB_HOST}/app\",\"type\":\"runtime\",\"dataType\":\"text\"},
  {\"key\":\"API_KEY\",\"value\":\"first value\",\"type\":\"runtime\",\"dataType\":\"text\"}]}" >/dev/null
call PUT /project/web/secret/API_KEY "{\"values\":[{\"environmentId\":\"$prod\",\"value\":\"second value\",\"isPersonal\":false}]}" >/dev/null
reader=$(call POST /tokens '{"name":"ci","permission":"read","scope":{"all":true},"expiresIn":"6m"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
kill $pid; wait $pid || true
trap - EXIT
"$JAVA_HOME/bin/java" -cp "$jar" "$here/Compact.java" "$data/ek.db" "$here/previous-release.db"
printf '{"commit":"%s","madeAt":"%s","ownerToken":"%s","readToken":"%s","production":"%s","dev":"%s"}\n' "$commit" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$token" "$reader" "$prod" "$dev" >"$here/previous-release.json"
rm -rf "$work"
echo "wrote $here/previous-release.db and previous-release.json"
