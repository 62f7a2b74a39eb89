//! Opening the connector a target's kind calls for.
