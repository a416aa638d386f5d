package dev.mlserve.local.invoke;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mlserve.scoring.json.Json;

/** A handler failure as the Lambda Java runtime reports it: errorMessage, errorType, stackTrace. */
final class LambdaErrors {
    private LambdaErrors() {
    }

    static ObjectNode of(Throwable e) {
        ObjectNode error = Json.MAPPER.createObjectNode();
        error.put("errorMessage", e.getMessage());
        error.put("errorType", e.getClass().getName());
        ArrayNode trace = error.putArray("stackTrace");
        for (StackTraceElement frame : e.getStackTrace()) {
            trace.add(frame.toString());
        }
        if (e.getCause() != null && e.getCause() != e) {
            error.set("cause", of(e.getCause()));
        }
        return error;
    }
}
