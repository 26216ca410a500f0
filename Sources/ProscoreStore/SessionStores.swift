import Foundation

/// Opens the store a `--store` value (or `$PROSCORE_STORE`) names: a `postgres://` URL
/// opens PostgreSQL, anything else is a SQLite file path.
public enum SessionStores {
    /// The store at `location`; `readOnly` opens an existing one for listing and reports.
    /// `origin` names where the location came from, for error messages.
    public static func open(_ location: String, readOnly: Bool = false, origin: String = "--store") throws -> any SessionStore {
        if PostgresLocation.isPostgres(location) {
            return try PostgresSessionStore(url: location, readOnly: readOnly, origin: origin)
        }
        return try SQLiteSessionStore(path: location, readOnly: readOnly, origin: origin)
    }

    /// The default location and what decided it (see `SQLiteSessionStore.defaultLocation`;
    /// `$PROSCORE_STORE` may name a PostgreSQL URL too).
    public static var defaultLocation: (path: String, origin: String) { SQLiteSessionStore.defaultLocation }
}
