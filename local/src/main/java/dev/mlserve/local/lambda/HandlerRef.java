package dev.mlserve.local.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;

/**
 * A template's {@code Handler: package.Class::method} as the Lambda Java runtime reads it: the
 * class built once with its public no-arg constructor, the method's first parameter type is the
 * event type (for a {@code RequestHandler<I, O>} that is {@code I}), a second parameter is the
 * {@link Context}; {@link RequestStreamHandler}s get the raw bytes.
 */
public final class HandlerRef {
    private final Class<?> type;
    private final Method method;

    private HandlerRef(Class<?> type, Method method) {
        this.type = type;
        this.method = method;
    }

    /** @throws IllegalArgumentException when the class or a matching method is missing */
    public static HandlerRef resolve(String className, String methodName, ClassLoader loader) {
        Class<?> type;
        try {
            type = Class.forName(className, false, loader);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("handler class " + className + " is not on the classpath", e);
        }
        List<Method> candidates = Arrays.stream(type.getMethods())
                .filter(m -> m.getName().equals(methodName) && !m.isBridge() && !m.isSynthetic())
                .filter(m -> m.getParameterCount() >= 1 && m.getParameterCount() <= 3)
                .filter(m -> m.getParameterCount() == 1 || m.getParameterTypes()[m.getParameterCount() - 1]
                        == Context.class)
                .toList();
        if (candidates.size() != 1) {
            throw new IllegalArgumentException("handler " + className + "::" + methodName + " needs exactly one public"
                    + " method (Event[, Context]) or (InputStream, OutputStream, Context); found " + candidates.size());
        }
        return new HandlerRef(type, candidates.get(0));
    }

    public Class<?> eventType() {
        return method.getParameterTypes()[0];
    }

    /**
     * The function's init: the public no-arg constructor. What it throws is the init error.
     *
     * @throws Exception the constructor's own exception, unwrapped
     */
    public Object newInstance() throws Exception {
        Constructor<?> constructor = type.getConstructor();
        try {
            return constructor.newInstance();
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        }
    }

    /**
     * One invocation: the event JSON deserialized to the event type, the handler called, its
     * answer serialized as the runtime does.
     *
     * @throws Exception the handler's own exception, unwrapped
     */
    public byte[] invoke(Object instance, byte[] eventJson, Context context) throws Exception {
        try {
            if (isStream()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                method.invoke(instance, new ByteArrayInputStream(eventJson), out, context);
                return out.toByteArray();
            }
            Object event = LambdaJson.read(eventJson, eventType());
            Object answer = method.getParameterCount() == 2
                    ? method.invoke(instance, event, context)
                    : method.invoke(instance, event);
            return LambdaJson.write(answer, method.getReturnType());
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        }
    }

    private boolean isStream() {
        return RequestStreamHandler.class.isAssignableFrom(type) && method.getParameterCount() == 3;
    }

    private static Exception unwrap(InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Exception ex) {
            return ex;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return e;
    }
}
