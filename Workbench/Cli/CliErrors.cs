using System.CommandLine;
using System.CommandLine.Parsing;
using Numina.Engine.Settings;

namespace Numina.Workbench.Cli;

/// <summary>Command-line errors in the words the Solve form uses (the same <see cref="SettingText"/> messages).</summary>
public static class CliErrors
{
    /// <summary>
    /// Every number option of every verb reads its value with <see cref="SettingText"/>: "0,8" is refused (not read as
    /// 8, as .NET's parser with group separators would), "1.5" for a count is named, and the message is the form's.
    /// </summary>
    public static void ReadNumbersStrictly(Command root)
    {
        foreach (var command in Commands(root))
            foreach (var option in command.Options)
                switch (option)
                {
                    case Option<double?> o: o.CustomParser = r => Read(r, o, (string t, out double v) => SettingText.ParseDouble(o.Name, t, out v), (double?)null, v => v); break;
                    case Option<double> o: o.CustomParser = r => Read(r, o, (string t, out double v) => SettingText.ParseDouble(o.Name, t, out v), 0.0, v => v); break;
                    case Option<int?> o: o.CustomParser = r => Read(r, o, (string t, out int v) => SettingText.ParseInt(o.Name, t, out v), (int?)null, v => v); break;
                    case Option<int> o: o.CustomParser = r => Read(r, o, (string t, out int v) => SettingText.ParseInt(o.Name, t, out v), 0, v => v); break;
                }
    }

    private delegate string? Parse<TValue>(string text, out TValue value);

    private static T Read<T, TValue>(ArgumentResult result, Option<T> option, Parse<TValue> parse, T none, Func<TValue, T> wrap)
    {
        if (result.Tokens.Count == 0) return option.DefaultValueFactory is { } d ? d(result) : none;
        var text = result.Tokens[^1].Value;
        if (parse(text, out var value) is { } problem)
        {
            result.AddError(problem);
            return none;
        }
        return wrap(value);
    }

    private static IEnumerable<Command> Commands(Command command) => [command, .. command.Subcommands.SelectMany(Commands)];

    /// <summary>A parse error; a value of the wrong kind is explained by what the option takes.</summary>
    public static string Explain(ParseError error)
    {
        if (error.SymbolResult is OptionResult { Option: var option } result && result.Tokens.Count > 0 && error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal))
        {
            var text = result.Tokens[^1].Value;
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            var what = option.Name;
            if (type == typeof(ulong) && what == "--seed") return $"{what}: " + SettingText.ParseSeed(text, out _);
            if (type == typeof(int) || type == typeof(long) || type == typeof(ulong)) return SettingText.ParseInt(what, text, out _) ?? $"{what} must be a whole number from 0 up (got \"{text}\").";
            if (type == typeof(double) || type == typeof(float)) return SettingText.ParseDouble(what, text, out _) ?? error.Message;
            if (type.IsEnum) return $"{what} must be one of {string.Join(", ", Enum.GetNames(type))} (got \"{text}\").";
        }
        return error.Message;
    }

    /// <summary>The verb as typed, for the "--help" hint.</summary>
    public static string CommandLine(ParseResult parse)
    {
        var names = new List<string>();
        for (var c = parse.CommandResult; c is not null; c = c.Parent as CommandResult) names.Insert(0, c.Command.Name);
        names[0] = "Workbench";
        return string.Join(" ", names);
    }

    /// <summary>A bad argument a verb checks itself: the message on stderr, exit status 2 (as a parse error).</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }

    /// <summary>An exception's message without .NET's "(Parameter 'x')" suffix.</summary>
    public static string Message(Exception e) =>
        e is ArgumentException { ParamName: { } name } a ? a.Message.Replace($" (Parameter '{name}')", "") : e.Message;
}
