using System.Diagnostics;
using Convocore.Contracts.Audit;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Workspaces;

namespace Convocore.Silo.Numbers;

[GenerateSerializer, Alias("convocore.number-import-state")]
internal sealed class NumberImportState
{
    [Id(0)] public string? ImportId { get; set; }
    [Id(1)] public ImportMode Mode { get; set; }
    [Id(2)] public ImportPhase Phase { get; set; }
    [Id(3)] public List<ImportRow> Rows { get; set; } = [];
    /// <summary>Aligned with <see cref="Rows"/>; null until the row is checked or applied.</summary>
    [Id(4)] public List<ImportRowResult?> Results { get; set; } = [];
    /// <summary>Rows of the current phase done and stored: an import carries on from here after a crash.</summary>
    [Id(5)] public int Processed { get; set; }
    [Id(6)] public bool Applied { get; set; }
    [Id(7)] public string? Message { get; set; }
    [Id(8)] public DateTimeOffset StartedAt { get; set; }
    [Id(9)] public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Who started the import: its rows' audit entries name them, with the source "import".</summary>
    [Id(10)] public AuditActor? StartedBy { get; set; }
}

/// <summary>
/// The imports of one workspace, one at a time. The file's rows and where the import stands are its state; the rows go to
/// the workspace grain in batches, which applies each batch through its number-change protocol. Every change is
/// idempotent (a row already applied reads unchanged), so an import interrupted by a crash simply carries on from the
/// last stored position: on the next activation, which the progress endpoint or the reminder kept while it runs causes.
/// Only the latest import of a workspace is kept.
/// </summary>
internal sealed class NumberImportGrain(
    [PersistentState(NumberImportGrain.StateName)] IPersistentState<NumberImportState> state,
    TimeProvider clock,
    ILogger<NumberImportGrain> logger) : Grain, INumberImportGrain, IRemindable
{
    public const string StateName = "number-import";
    public const int BatchSize = 250;
    /// <summary>Rows between two stored positions: a crash repeats at most these, and they read unchanged.</summary>
    private const int StoreEvery = 2_000;
    private const string Reminder = "resume-import";
    private static readonly ActivitySource Tracing = new("Convocore.Imports");

    private Task? running;
    private int processed;

    private IWorkspaceGrain Workspace => GrainFactory.GetGrain<IWorkspaceGrain>(this.GetPrimaryKeyString());
    private bool InProgress => state.State.ImportId is not null && state.State.Phase is ImportPhase.Checking or ImportPhase.Applying;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        processed = state.State.Processed;
        if (InProgress) Resume();
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<ImportRowResult>> Check(IReadOnlyList<ImportRow> rows)
    {
        var results = Duplicates(rows);
        var adds = 0;
        foreach (var batch in Batches(rows, results, 0))
        {
            var checkedRows = await Workspace.CheckImport(batch.Select(i => rows[i]).ToArray(), adds);
            for (var j = 0; j < batch.Length; j++) results[batch[j]] = checkedRows[j];
            adds += checkedRows.Count(r => r.Status == ImportRowStatus.Add);
        }
        return results!;
    }

    public async Task<Outcome<ImportProgress>> Start(ImportMode mode, IReadOnlyList<ImportRow> rows)
    {
        if (InProgress) return Failure.Conflict(ImportTexts.AlreadyRunning);
        state.State = new NumberImportState
        {
            ImportId = Ids.New(),
            Mode = mode,
            Phase = mode == ImportMode.AllOrNothing ? ImportPhase.Checking : ImportPhase.Applying,
            Rows = rows.ToList(),
            Results = Duplicates(rows).ToList(),
            StartedAt = clock.GetUtcNow(),
            StartedBy = AuditContext.Current,
        };
        processed = 0;
        await state.WriteStateAsync();
        await this.RegisterOrUpdateReminder(Reminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        Resume();
        return Describe();
    }

    public Task<ImportProgress?> Progress(string importId) =>
        Task.FromResult(state.State.ImportId == importId ? Describe() : null);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (InProgress) Resume();
        else if (await this.GetReminder(reminderName) is { } reminder) await this.UnregisterReminder(reminder);
    }

    private void Resume()
    {
        if (running is { IsCompleted: false }) return;
        // Runs on the grain's scheduler between its calls, which never wait for it: Progress answers while it works.
        running = Run();
    }

    private async Task Run()
    {
        using var activity = Tracing.StartActivity("import");
        activity?.SetTag("convocore.import.rows", state.State.Rows.Count);
        try
        {
            if (state.State.Phase == ImportPhase.Checking) await CheckAll();
            if (state.State.Phase == ImportPhase.Applying) await ApplyAll();
            state.State.FinishedAt = clock.GetUtcNow();
            state.State.Phase = ImportPhase.Done;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "An import of {Rows} rows in workspace {WorkspaceId} stopped", state.State.Rows.Count, this.GetPrimaryKeyString());
            state.State.Phase = ImportPhase.Failed;
            state.State.Message = ImportTexts.Failed;
            state.State.FinishedAt = clock.GetUtcNow();
        }
        await Store();
        if (await this.GetReminder(Reminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>All-or-nothing: every row is checked first; one error and nothing is applied.</summary>
    private async Task CheckAll()
    {
        var s = state.State;
        var adds = 0;
        processed = 0;
        foreach (var batch in Batches(s.Rows, s.Results, 0))
        {
            var results = await Retrying(() => Workspace.CheckImport(batch.Select(i => s.Rows[i]).ToArray(), adds));
            for (var j = 0; j < batch.Length; j++) s.Results[batch[j]] = results[j];
            adds += results.Count(r => r.Status == ImportRowStatus.Add);
            processed = batch[^1] + 1;
        }
        processed = s.Rows.Count;
        if (s.Results.Any(r => r!.Status == ImportRowStatus.Error))
        {
            for (var i = 0; i < s.Results.Count; i++)
            {
                if (s.Results[i] is { Status: ImportRowStatus.Add or ImportRowStatus.Update } wouldApply)
                    s.Results[i] = wouldApply with { Message = ImportTexts.NotApplied };
            }
            return;
        }
        s.Phase = ImportPhase.Applying;
        s.Processed = 0;
        processed = 0;
        await state.WriteStateAsync();
    }

    private async Task ApplyAll()
    {
        var s = state.State;
        var sinceStored = 0;
        AuditContext.Set(new AuditActor((s.StartedBy ?? AuditActor.System).Actor, AuditSources.Import));
        foreach (var batch in Batches(s.Rows, s.Results, s.Processed, includeDone: true))
        {
            // Duplicates are errors already; every other row is decided again, so a row applied before a crash reads unchanged.
            var todo = batch.Where(i => s.Results[i] is not { Status: ImportRowStatus.Error }).ToArray();
            var results = todo.Length == 0 ? [] : await Retrying(() => Workspace.ApplyImport(todo.Select(i => s.Rows[i]).ToArray()));
            for (var j = 0; j < todo.Length; j++) s.Results[todo[j]] = results[j];
            processed = batch[^1] + 1;
            sinceStored += batch.Length;
            if (sinceStored >= StoreEvery)
            {
                await Store();
                sinceStored = 0;
            }
        }
        processed = s.Rows.Count;
        s.Applied = true;
    }

    private Task Store()
    {
        state.State.Processed = processed;
        return state.WriteStateAsync();
    }

    /// <summary>A batch that fails (storage away, a silo lost) is tried again after 1, 2, 4 and 8 s, then the import stops.</summary>
    private async Task<T> Retrying<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (attempt < 4)
            {
                logger.LogWarning(ex, "An import batch in workspace {WorkspaceId} failed; trying again", this.GetPrimaryKeyString());
                await Task.Delay(TimeSpan.FromSeconds(1 << attempt));
            }
        }
    }

    /// <summary>The indexes of the rows from <paramref name="from"/> on in batches, skipping the rows the file already refused.</summary>
    private static IEnumerable<int[]> Batches(IReadOnlyList<ImportRow> rows, IReadOnlyList<ImportRowResult?> results, int from, bool includeDone = false)
    {
        for (var start = from; start < rows.Count; start += BatchSize)
        {
            var batch = Enumerable.Range(start, Math.Min(BatchSize, rows.Count - start))
                .Where(i => includeDone || results[i] is null).ToArray();
            if (batch.Length > 0) yield return batch;
        }
    }

    /// <summary>
    /// Every row after the first with the same number is an error; the rest are still to be decided (null). A row the file
    /// refused keeps its own message.
    /// </summary>
    private static ImportRowResult?[] Duplicates(IReadOnlyList<ImportRow> rows)
    {
        var results = new ImportRowResult?[rows.Count];
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].PhoneNumber is not { Length: > 0 } number || rows[i].Refusal is not null) continue;
            if (first.TryGetValue(number, out var firstRow))
                results[i] = new ImportRowResult(rows[i].Row, number, ImportRowStatus.Error, ImportTexts.Duplicate(firstRow));
            else first[number] = rows[i].Row;
        }
        return results;
    }

    private ImportProgress Describe()
    {
        var s = state.State;
        var done = s.Phase is ImportPhase.Done or ImportPhase.Failed;
        return new ImportProgress(s.ImportId!, s.Mode, s.Phase, s.Rows.Count, done ? s.Rows.Count : processed, s.Applied, s.Message,
            done ? s.Results.Select((r, i) => r ?? new ImportRowResult(s.Rows[i].Row, s.Rows[i].PhoneNumber, ImportRowStatus.Error, ImportTexts.Failed)).ToArray() : null,
            s.StartedAt, s.FinishedAt);
    }
}
