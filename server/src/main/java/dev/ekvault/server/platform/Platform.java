package dev.ekvault.server.platform;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.wire.StrictJson;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.store.Journal;

import java.time.Clock;
import java.time.Duration;

/**
 * What every feature is installed on: the configuration, the open store and its keys, the change journal and the
 * change feed, the clock, the JSON mapper, the route table and the jobs registry. A feature's {@code install} takes
 * this and the few objects of other features it needs, registers its routes and jobs, and returns what other
 * features use of it.
 */
public record Platform(Config config, Database database, MasterKey masterKey, DataKeys dataKeys, ChangeFeed changes,
                       Clock clock, ObjectMapper json, Router router, Jobs jobs) {

    /**
     * The platform of a serving node. The change feed takes its position here, before any feature loads anything
     * into memory, so a change committed in between is read by the first poll.
     */
    public static Platform open(Config config, Database database, MasterKey masterKey, DataKeys dataKeys, Clock clock) {
        ChangeFeed changes = new ChangeFeed(database, clock, config.changePollInterval(), config.fullReloadInterval(), config.outageGrace());
        changes.skipToEnd();
        Jobs jobs = new Jobs();
        jobs.service("change feed", changes::start, changes::close);
        if (database.dialect() == Dialect.SQLITE) jobs.every("database checkpoint", Database.CHECKPOINT_PERIOD, database::checkpoint);
        return new Platform(config, database, masterKey, dataKeys, changes, clock, StrictJson.create(config.limits()),
                new Router(), jobs);
    }

    /** The change journal of {@link #database}: where a write says what it changed, and consumers subscribe. */
    public Journal journal() {
        return database.journal();
    }
}
