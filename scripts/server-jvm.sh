# Sourced by ./ek-server and bench/run: the JVM options the server runs with (EK_JAVA_OPTS replaces them all).
#  - for `serve`, a dynamic class-data-sharing archive beside the jar, written when the first serving process exits
#    and used by the next ones: the classes of the 30 MB jar come mapped instead of parsed, which takes about a third
#    off a cold start (a new jar makes the JVM write a new archive). Only `serve` uses it, so that a short `init`
#    cannot be the run that fills it; -Xlog keeps the JVM's notices about it quiet;
#  - the serial collector and a bounded heap: on a small machine it costs less CPU per request than G1 (measured
#    with bench/run) and keeps the process under 512 MB resident. The serial collector grows its heap to the limit
#    under a burst of allocation (bulk writes) and keeps it, whatever the live data (about 30 MB then): the resident
#    size is the limit plus about 130 MB outside the heap (code, classes, threads, buffers), so 320 MB, not 384.
#   ek_server_java_opts JAR [ARGS...]   (the server's arguments: the first says the command, serve by default)
ek_server_java_opts() {
  local jar="$1" command="${2:-serve}"
  if [ -n "${EK_JAVA_OPTS+set}" ]; then
    echo "$EK_JAVA_OPTS"
    return
  fi
  local opts="-XX:+UseSerialGC -Xms64m -Xmx320m"
  case "$command" in
    serve|--*)
      # the archive is named after the jar's size and time: the JVM refuses an archive of another jar without writing
      # a new one, so each build gets its own file (and the files of earlier builds go)
      local stamp jsa old
      stamp=$(stat -c '%s-%Y' "$jar" 2>/dev/null || stat -f '%z-%m' "$jar" 2>/dev/null || echo 0)
      jsa="${jar%.jar}-$stamp.jsa"
      for old in "${jar%.jar}"-*.jsa; do [ "$old" = "$jsa" ] || rm -f "$old"; done
      opts="$opts -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=$jsa -Xlog:cds=off -Xlog:cds+dynamic=off" ;;
  esac
  echo "$opts"
}
