using Xunit;

// One Coyote TestingEngine at a time: the engine serialises the tasks of the test it runs, and several engines at
// once in one process would only fight over the two cores (and their uncontrolled parts over real time).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
