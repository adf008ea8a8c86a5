#!/usr/bin/env bash
# Makes the previous release's databases for UpgradeFromPreviousRelease*Test, written through that release's own HTTP
# API: previous-release.db (SQLite, the file itself) and previous-release-postgres.dump (pg_dump custom format), each
# with a .json of the ids and test-only tokens it holds. Run once, from the repository root:
#   EK_FIXTURE_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \
#     server/src/test/resources/upgrade/make-fixture.sh 9729972
# It builds that commit's jar from `git archive` (the repository is not touched; EK_PREVIOUS_JAR skips the build),
# starts it on a fresh store with the fixed test key previous-release.key, writes a project, two environments,
# secrets, a changed value (history) and an API token, stops it, and keeps the database: the SQLite file compacted
# (no -wal), the PostgreSQL database as a dump (then dropped). The key and tokens are test-only, made for these files.
# Why checked-in files rather than applying V1..V(n-1) in the test: only the old code writes data the way the old
# code did (its encryption, history and audit rows); the current stores do not match an older schema.
set -euo pipefail
commit=${1:?the commit of the previous release}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(pwd)
work=$(mktemp -d)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
jar=${EK_PREVIOUS_JAR:-}
if [ -z "$jar" ]; then
  git -C "$repo" archive "$commit" | tar -x -C "$work/"
  [ -f "$repo/.mvn/maven.config" ] && cp "$repo/.mvn/maven.config" "$work/.mvn/"
  (cd "$work" && ./mvnw -q -B -DskipTests -pl server -am package)
  jar=$work/server/target/ek-server.jar
fi
key=$(cat "$here/previous-release.key")
java=$JAVA_HOME/bin/java
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# write <data-dir> <fixture name> [database url]: init, serve, write through the API, stop; leaves <fixture>.json
write() {
  local data=$1 name=$2 url=${3:-} port token pid base team prod dev reader
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  token=$("$java" -jar "$jar" init --workspace acme --email owner@example.com --data-dir="$data" --master-key="$key" \
    --database-url="$url" 2>/dev/null)
  "$java" -jar "$jar" --data-dir="$data" --master-key="$key" --database-url="$url" --http-host=127.0.0.1 \
    --http-port="$port" 2>"$work/$name.log" &
  pid=$!
  base=http://127.0.0.1:$port/v1/workspace/acme
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  call() { curl -sf -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$base$2" ${3:+-d "$3"}; }
  team=$(call GET /team | json '[0]["id"]')
  call POST /project "{\"name\":\"web\",\"slug\":\"web\",\"teamId\":\"$team\"}" >/dev/null
  prod=$(call POST /project/web/environment '{"name":"production","hasPersonalOverrides":false}' | json '["id"]')
  dev=$(call POST /project/web/environment '{"name":"dev","hasPersonalOverrides":true}' | json '["id"]')
  call POST /project/web/secret "{\"environments\":[\"$prod\",\"$dev\"],\"secrets\":[
    {\"key\":\"DB_HOST\",\"value\":\"db.internal\",\"type\":\"runtime\",\"dataType\":\"text\"},
    {\"key\":\"DATABASE_URL\",\"value\":\"postgres://\${DB_HOST}/app\",\"type\":\"runtime\",\"dataType\":\"text\"},
    {\"key\":\"API_KEY\",\"value\":\"first value\",\"type\":\"runtime\",\"dataType\":\"text\"}]}" >/dev/null
  call PUT /project/web/secret/API_KEY "{\"values\":[{\"environmentId\":\"$prod\",\"value\":\"second value\",\"isPersonal\":false}]}" >/dev/null
  reader=$(call POST /tokens '{"name":"ci","permission":"read","scope":{"all":true},"expiresIn":"6m"}' | json '["token"]')
  kill "$pid"; wait "$pid" || true
  printf '{"commit":"%s","madeAt":"%s","ownerToken":"%s","readToken":"%s","production":"%s","dev":"%s"}\n' \
    "$commit" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$token" "$reader" "$prod" "$dev" >"$here/$name.json"
}

write "$work/sqlite" previous-release
"$java" -cp "$jar" "$here/Compact.java" "$work/sqlite/ek.db" "$here/previous-release.db"

if [ -n "${EK_FIXTURE_POSTGRES_URL:-}" ]; then
  db=ek_fixture_$$
  psql -q "$EK_FIXTURE_POSTGRES_URL" -c "CREATE DATABASE $db"
  pg_url=$(python3 -c 'import re,sys; u,db=sys.argv[1:]; print(re.sub(r"/[^/?]*(\?|$)", "/"+db+r"\1", u, count=1) if u.count("/")>2 else u+"/"+db)' "$EK_FIXTURE_POSTGRES_URL" "$db")
  write "$work/postgres" previous-release-postgres "$pg_url"
  pg_dump --format=custom --no-owner --no-privileges --file="$here/previous-release-postgres.dump" "$pg_url"
  psql -q "$EK_FIXTURE_POSTGRES_URL" -c "DROP DATABASE $db"
fi
rm -rf "$work"
echo "wrote the fixtures in $here"
