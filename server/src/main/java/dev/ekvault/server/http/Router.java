package dev.ekvault.server.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The route table. Each feature registers its routes with {@code XxxRoutes.register(router)}; each route says
 * whether it is public (no credential) and which OpenAPI tag it belongs to. Paths are URI templates with
 * {@code {name}} segments; a trailing slash never matters; a literal segment beats a parameter.
 */
public final class Router {
    /** A route's work: typed arguments come from the exchange, the result becomes the JSON body. */
    @FunctionalInterface
    public interface Handler {
        Object handle(RequestContext exchange) throws Exception;
    }

    public record Route(String method, String template, boolean isPublic, String tag, Handler handler, List<String> segments) {}

    /** A match: the route and its decoded path parameters. */
    public record Match(Route route, Map<String, String> parameters) {}

    private final List<Route> routes = new ArrayList<>();
    /**
     * The routes by their number of segments (index), in registration order: a path is compared only with the templates
     * of its length. Scanning all of them, and collecting the other methods of every same-shaped route into a set for a
     * 405 that almost never comes, was 2.2% of the CPU of a secret list (the set 1.9%); now 1.3% (JFR, the bench's list).
     */
    private final List<List<Route>> bySize = new ArrayList<>();

    public Router get(String template, String tag, Handler handler) {
        return add("GET", template, false, tag, handler);
    }

    public Router post(String template, String tag, Handler handler) {
        return add("POST", template, false, tag, handler);
    }

    public Router put(String template, String tag, Handler handler) {
        return add("PUT", template, false, tag, handler);
    }

    public Router patch(String template, String tag, Handler handler) {
        return add("PATCH", template, false, tag, handler);
    }

    public Router delete(String template, String tag, Handler handler) {
        return add("DELETE", template, false, tag, handler);
    }

    /** A route that answers without a credential. Every public route is on an allow-list in the tests. */
    public Router publicRoute(String method, String template, String tag, Handler handler) {
        return add(method, template, true, tag, handler);
    }

    private Router add(String method, String template, boolean isPublic, String tag, Handler handler) {
        List<String> segments = split(template);
        for (Route existing : routes) {
            // {id} and {ref} in the same place match the same paths: the second could never be reached
            if (existing.method.equals(method) && shape(existing.segments).equals(shape(segments))) {
                throw new IllegalStateException("route registered twice: " + method + " " + template + " (as " + existing.template + ")");
            }
        }
        Route route = new Route(method, template, isPublic, tag, handler, segments);
        routes.add(route);
        while (bySize.size() <= segments.size()) bySize.add(new ArrayList<>());
        bySize.get(segments.size()).add(route);
        return this;
    }

    public List<Route> routes() {
        return Collections.unmodifiableList(routes);
    }

    /** Finds the route for a method and decoded path segments, or null ({@link #allowedMethods} then says why). */
    public Match match(String method, List<String> path) {
        if (path.size() >= bySize.size()) return null;
        Route best = null;
        int bestLiterals = -1;
        for (Route route : bySize.get(path.size())) {
            if (!route.method.equals(method)) continue;
            int literals = literalMatches(route.segments, path);
            if (literals > bestLiterals) {
                best = route;
                bestLiterals = literals;
            }
        }
        return best == null ? null : new Match(best, parameters(best.segments, path));
    }

    /** The methods some route answers for this path, sorted: empty when none has it (404), else the 405's Allow. */
    public Set<String> allowedMethods(List<String> path) {
        Set<String> allowed = new java.util.TreeSet<>();
        if (path.size() >= bySize.size()) return allowed;
        for (Route route : bySize.get(path.size())) {
            if (literalMatches(route.segments, path) >= 0) allowed.add(route.method);
        }
        return allowed;
    }

    /** The segments with every parameter named alike, so templates that match the same paths compare equal. */
    private static List<String> shape(List<String> segments) {
        return segments.stream().map(segment -> isParameter(segment) ? "{}" : segment).toList();
    }

    private static int literalMatches(List<String> template, List<String> path) {
        int literals = 0;
        for (int i = 0; i < template.size(); i++) {
            String t = template.get(i);
            if (isParameter(t)) {
                if (path.get(i).isEmpty()) return -1;
            } else if (t.equals(path.get(i))) {
                literals++;
            } else {
                return -1;
            }
        }
        return literals;
    }

    private static Map<String, String> parameters(List<String> template, List<String> path) {
        Map<String, String> parameters = new LinkedHashMap<>();
        for (int i = 0; i < template.size(); i++) {
            String t = template.get(i);
            if (isParameter(t)) parameters.put(t.substring(1, t.length() - 1), path.get(i));
        }
        return parameters;
    }

    private static boolean isParameter(String segment) {
        return segment.startsWith("{") && segment.endsWith("}");
    }

    /** Template segments; {@code /v1/workspace/} and {@code /v1/workspace} give the same list. */
    static List<String> split(String path) {
        List<String> segments = new ArrayList<>();
        for (String segment : path.split("/")) if (!segment.isEmpty()) segments.add(segment);
        return segments;
    }

    /** Distinct templates with their methods, for the OpenAPI comparison. */
    public Map<String, Set<String>> methodsByTemplate() {
        Map<String, Set<String>> result = new LinkedHashMap<>();
        for (Route route : routes) result.computeIfAbsent(route.template, k -> new LinkedHashSet<>()).add(route.method);
        return result;
    }
}
