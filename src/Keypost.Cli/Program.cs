using Keypost.Cli;

return await KeypostCommandLine.RunAsync(args);
