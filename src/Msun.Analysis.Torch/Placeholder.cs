namespace Msun.Analysis.Torch; internal static class Placeholder {}
