using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Keypost.Server.Configuration;

/// <summary>
/// Reads a configuration tree against the options types before binding, so that a misspelt key or a value of the
/// wrong type is an error naming its JSON path (<c>mail.inbound[0]</c>) rather than a silently ignored setting.
/// It also empties each list the configuration sets, because the binder appends to a list's default items.
/// </summary>
internal static class ConfigurationChecker
{
    public static void Check(IConfiguration configuration, object target, string path, List<string> errors)
    {
        var properties = Settable(target.GetType());
        foreach (var section in configuration.GetChildren())
        {
            var childPath = Join(path, section.Key);
            if (!properties.TryGetValue(section.Key, out var property))
            {
                // Derived values (DatabasePath, ...) that an older Save() wrote out: known, read-only, ignored.
                if (!IsDerived(target.GetType(), section.Key))
                {
                    errors.Add($"{childPath}: unknown key");
                }

                continue;
            }

            CheckValue(section, property.PropertyType, childPath, errors, () => property.GetValue(target), value => property.SetValue(target, value));
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, string path, List<string> errors, Func<object?> get, Action<object?> set)
    {
        var children = section.GetChildren().ToList();
        if (IsScalar(type))
        {
            if (children.Count > 0)
            {
                errors.Add($"{path}: expected a single value, found an object or a list");
            }
            else if (section.Value is { } text && !Converts(text, type))
            {
                errors.Add($"{path}: '{text}' is not a valid {Describe(type)}");
            }

            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            if (section.Value is { Length: > 0 } scalar)
            {
                errors.Add($"{path}: expected a list, found '{scalar}'");
                return;
            }

            var itemType = type.GetGenericArguments()[0];
            // The binder adds to what is there: start from empty so the file's list replaces the default.
            set(Activator.CreateInstance(type));
            foreach (var item in children)
            {
                var itemPath = $"{path}[{item.Key}]";
                if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"{itemPath}: expected a list, found an object");
                    continue;
                }

                if (IsScalar(itemType))
                {
                    CheckValue(item, itemType, itemPath, errors, () => null, _ => { });
                }
                else
                {
                    Check(item, Activator.CreateInstance(itemType)!, itemPath, errors);
                }
            }

            return;
        }

        if (section.Value is { Length: > 0 } value)
        {
            errors.Add($"{path}: expected an object, found '{value}'");
            return;
        }

        var current = get();
        if (current is null)
        {
            current = Activator.CreateInstance(type)!;
            set(current);
        }

        Check(section, current, path, errors);
    }

    private static Dictionary<string, PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    private static bool IsDerived(Type type, string key) =>
        type.GetProperty(key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanWrite: false };

    private static bool IsScalar(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying.IsPrimitive || underlying.IsEnum || underlying == typeof(string) || underlying == typeof(decimal)
            || (!typeof(IEnumerable).IsAssignableFrom(underlying) && !underlying.IsClass);
    }

    private static bool Converts(string text, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string))
        {
            return true;
        }

        try
        {
            _ = TypeDescriptor.GetConverter(underlying).ConvertFromInvariantString(text);
            return true;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or OverflowException
                                  || e.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying == typeof(bool) ? "boolean (true or false)"
            : underlying == typeof(int) ? "whole number (32-bit)"
            : underlying == typeof(long) ? "whole number (64-bit)"
            : underlying.Name;
    }

    // JSON path as written in the file: dotted keys, list indices in brackets (handled by the caller).
    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
}
