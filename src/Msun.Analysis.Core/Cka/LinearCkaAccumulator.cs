using Msun.Analysis.Core.LinearAlgebra;

namespace Msun.Analysis.Core.Cka;

/// <summary>
/// Exact streaming linear CKA (biased or debiased) in memory O((d₁ + d₂)²), independent of n.
/// It holds float64 moments of the data about a shift c (the first batch's column means):
/// n, Σu, Σuuᵀ with u = x − c, and, for the debiased form, p = ‖u‖², Σp, Σp², Σpu — the same for y — and
/// the cross moments Σuvᵀ, Σpq, Σpv, Σqu. Moving the origin to the final mean is exact algebra
/// (<see cref="Reshift"/>), so the result equals the all-in-memory computation; the shift keeps the
/// accumulated numbers small when the data sit far from 0. Accumulators over shards merge with
/// <see cref="Combine"/>. Not thread-safe.
/// </summary>
public sealed class LinearCkaAccumulator
{
    private readonly string _nameX, _nameY;
    private long _n;
    private Side _x, _y;
    private double[] _cuv; // Σ u vᵀ, d₁×d₂
    private double[] _spv; // Σ p v
    private double[] _squ; // Σ q u
    private double _spq;   // Σ p q

    /// <summary>Creates an empty accumulator for inputs with <paramref name="columnsX"/> and <paramref name="columnsY"/> features.</summary>
    public LinearCkaAccumulator(int columnsX, int columnsY, string nameX = "x", string nameY = "y")
    {
        if (columnsX < 1 || columnsY < 1)
            throw new ArgumentOutOfRangeException(nameof(columnsX), $"feature counts must be positive ({nameX}: {columnsX}, {nameY}: {columnsY}).");
        _nameX = nameX;
        _nameY = nameY;
        _x = new Side(columnsX);
        _y = new Side(columnsY);
        _cuv = new double[(long)columnsX * columnsY];
        _spv = new double[columnsY];
        _squ = new double[columnsX];
    }

    /// <summary>Examples accumulated so far.</summary>
    public long Count => _n;

    /// <summary>Features of the first input.</summary>
    public int ColumnsX => _x.D;

    /// <summary>Features of the second input.</summary>
    public int ColumnsY => _y.D;

    /// <summary>Adds a batch of examples (the same rows of both inputs).</summary>
    /// <exception cref="ArgumentException">Row counts differ, or feature counts differ from the accumulator's.</exception>
    public void Add(FeatureMatrix x, FeatureMatrix y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rows != y.Rows)
            throw new ArgumentException($"{x.Name} has {x.Rows} rows ({x.Shape}) but {y.Name} has {y.Rows} ({y.Shape}): a batch holds the same examples in both.");
        if (x.Columns != _x.D || y.Columns != _y.D)
            throw new ArgumentException(
                $"this accumulator takes {_x.D} features for {_nameX} and {_y.D} for {_nameY}; the batch has {x.Name} {x.Shape} and {y.Name} {y.Shape}.");
        _x.Shift ??= x.ColumnMeans();
        _y.Shift ??= y.ColumnMeans();

        int d1 = _x.D, d2 = _y.D, chunk = Math.Min(x.Rows, 2048);
        var u = new double[(long)chunk * d1];
        var v = new double[(long)chunk * d2];
        for (int start = 0; start < x.Rows; start += chunk)
        {
            int count = Math.Min(chunk, x.Rows - start);
            x.CopyShiftedRows<double>(start, count, _x.Shift, u);
            y.CopyShiftedRows<double>(start, count, _y.Shift, v);
            Blas.SyrkTransposed<double>(u.AsSpan(0, count * d1), count, d1, _x.Cross);
            Blas.SyrkTransposed<double>(v.AsSpan(0, count * d2), count, d2, _y.Cross);
            Blas.GemmTransposedA<double>(u.AsSpan(0, count * d1), v.AsSpan(0, count * d2), count, d1, d2, _cuv);
            for (int r = 0; r < count; r++)
            {
                ReadOnlySpan<double> ur = u.AsSpan(r * d1, d1), vr = v.AsSpan(r * d2, d2);
                double p = _x.AddRow(ur), q = _y.AddRow(vr);
                _spq += p * q;
                AddScaled(_spv, q: p, vr);
                AddScaled(_squ, q: q, ur);
            }
        }
        _x.CrossIsUpperOnly = _y.CrossIsUpperOnly = true;
        _n += x.Rows;
    }

    /// <summary>Adds everything <paramref name="other"/> accumulated (another shard of the same data set).</summary>
    /// <remarks>Re-expresses <paramref name="other"/> about this accumulator's shift: its value is unchanged.</remarks>
    public void Combine(LinearCkaAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._x.D != _x.D || other._y.D != _y.D)
            throw new ArgumentException($"cannot combine accumulators of {_x.D}×{_y.D} and {other._x.D}×{other._y.D} features.");
        if (other._n == 0) return;
        if (_n == 0)
        {
            CopyFrom(other);
            return;
        }
        // u_this = x − c_this = u_other + (c_other − c_this).
        other.Reshift(Subtract(other._x.Shift!, _x.Shift!), Subtract(other._y.Shift!, _y.Shift!));
        _x.Add(other._x);
        _y.Add(other._y);
        Add(_cuv, other._cuv);
        Add(_spv, other._spv);
        Add(_squ, other._squ);
        _spq += other._spq;
        _n += other._n;
    }

    /// <summary>Linear CKA of everything accumulated, with the chosen estimator.</summary>
    /// <exception cref="ArgumentException">Too few examples for the estimator.</exception>
    public CkaResult Result(HsicEstimator estimator = HsicEstimator.Biased)
    {
        Cka.CheckExampleCount(_n, estimator, $"{_nameX} and {_nameY}");
        // Move the origin to the mean: Σu becomes 0 and every moment becomes a centred one.
        Reshift(Scale(_x.Sum, -1.0 / _n), Scale(_y.Sum, -1.0 / _n));
        var moments = new CenteredLinearMoments(
            _n, VectorMath.SumOfSquares<double>(_cuv), VectorMath.SumOfSquares<double>(_x.Cross), VectorMath.SumOfSquares<double>(_y.Cross),
            _x.SumSq, _y.SumSq, _spq, _x.SumSqSq, _y.SumSqSq);
        var (xy, xx, yy) = moments.Hsic(estimator);
        return CkaResult.FromHsic(xy, xx, yy, _nameX, _nameY, CkaKernel.Linear.Name, estimator, "streaming", _n, _x.D, _y.D);
    }

    /// <summary>
    /// Re-expresses every moment about a new origin: u′ = u + t, v′ = v + s (so the shift becomes c − t).
    /// Each line is the expansion of the moment's definition with p′ = p + 2uᵀt + ‖t‖², q′ likewise,
    /// evaluated from the old moments only.
    /// </summary>
    private void Reshift(double[] t, double[] s)
    {
        _x.MirrorCross();
        _y.MirrorCross();
        int d1 = _x.D, d2 = _y.D;
        double n = _n, tt = Dot(t, t), ss = Dot(s, s), tSu = Dot(t, _x.Sum), sSv = Dot(s, _y.Sum);
        double[] cuvS = new double[d1], cuvTt = new double[d2];
        for (int i = 0; i < d1; i++)
        {
            double acc = 0;
            for (int j = 0; j < d2; j++)
            {
                double c = _cuv[(long)i * d2 + j];
                acc += c * s[j];
                cuvTt[j] += c * t[i];
            }
            cuvS[i] = acc;
        }
        _spq += 2 * Dot(s, _spv) + ss * _x.SumSq + 2 * Dot(t, _squ) + 4 * Dot(t, cuvS)
              + 2 * ss * tSu + tt * _y.SumSq + 2 * tt * sSv + n * tt * ss;
        for (int j = 0; j < d2; j++)
            _spv[j] += _x.SumSq * s[j] + 2 * cuvTt[j] + 2 * tSu * s[j] + tt * _y.Sum[j] + n * tt * s[j];
        for (int i = 0; i < d1; i++)
            _squ[i] += _y.SumSq * t[i] + 2 * cuvS[i] + 2 * sSv * t[i] + ss * _x.Sum[i] + n * ss * t[i];
        for (int i = 0; i < d1; i++)
            for (int j = 0; j < d2; j++)
                _cuv[(long)i * d2 + j] += _x.Sum[i] * s[j] + t[i] * _y.Sum[j] + n * t[i] * s[j];
        _x.Reshift(t, n);
        _y.Reshift(s, n);
    }

    private void CopyFrom(LinearCkaAccumulator other)
    {
        _n = other._n;
        _x = other._x.Clone();
        _y = other._y.Clone();
        _cuv = (double[])other._cuv.Clone();
        _spv = (double[])other._spv.Clone();
        _squ = (double[])other._squ.Clone();
        _spq = other._spq;
    }

    private static double Dot(double[] a, double[] b) => VectorMath.Dot(a, b);

    private static void Add(double[] target, double[] source)
    {
        for (long i = 0; i < target.LongLength; i++) target[i] += source[i];
    }

    private static void AddScaled(double[] target, double q, ReadOnlySpan<double> row)
    {
        for (int i = 0; i < row.Length; i++) target[i] += q * row[i];
    }

    private static double[] Subtract(double[] a, double[] b)
    {
        var r = new double[a.Length];
        for (int i = 0; i < a.Length; i++) r[i] = a[i] - b[i];
        return r;
    }

    private static double[] Scale(double[] a, double factor)
    {
        var r = new double[a.Length];
        for (int i = 0; i < a.Length; i++) r[i] = a[i] * factor;
        return r;
    }

    /// <summary>The moments of one input about its shift.</summary>
    private sealed class Side(int d)
    {
        public int D { get; } = d;
        public double[]? Shift { get; set; }
        public double[] Sum { get; private set; } = new double[d];          // Σu
        public double SumSq { get; private set; }                            // Σp
        public double[] SumSqTimes { get; private set; } = new double[d];   // Σpu
        public double SumSqSq { get; private set; }                          // Σp²
        public double[] Cross { get; private set; } = new double[(long)d * d]; // Σuuᵀ
        public bool CrossIsUpperOnly { get; set; }

        /// <summary>Adds one shifted row's first-order terms; returns p = ‖u‖².</summary>
        public double AddRow(ReadOnlySpan<double> u)
        {
            double p = VectorMath.Dot(u, u);
            for (int i = 0; i < u.Length; i++)
            {
                Sum[i] += u[i];
                SumSqTimes[i] += p * u[i];
            }
            SumSq += p;
            SumSqSq += p * p;
            return p;
        }

        public void MirrorCross()
        {
            if (!CrossIsUpperOnly) return;
            Blas.MirrorUpper<double>(Cross, D);
            CrossIsUpperOnly = false;
        }

        /// <summary>The self moments under u′ = u + t (see the cross expansion in the accumulator).</summary>
        public void Reshift(double[] t, double n)
        {
            MirrorCross();
            double tt = VectorMath.Dot(t, t), tSu = VectorMath.Dot(t, Sum);
            var cuuT = new double[D];
            for (int i = 0; i < D; i++) cuuT[i] = VectorMath.Dot(Cross.AsSpan(i * D, D), t);
            SumSqSq += 4 * VectorMath.Dot(t, SumSqTimes) + 2 * tt * SumSq + 4 * VectorMath.Dot(t, cuuT) + 4 * tt * tSu + n * tt * tt;
            for (int i = 0; i < D; i++)
                SumSqTimes[i] += SumSq * t[i] + 2 * cuuT[i] + 2 * tSu * t[i] + tt * Sum[i] + n * tt * t[i];
            SumSq += 2 * tSu + n * tt;
            for (int i = 0; i < D; i++)
                for (int j = 0; j < D; j++)
                    Cross[(long)i * D + j] += Sum[i] * t[j] + t[i] * Sum[j] + n * t[i] * t[j];
            for (int i = 0; i < D; i++)
            {
                Sum[i] += n * t[i];
                Shift![i] -= t[i];
            }
        }

        public void Add(Side other)
        {
            MirrorCross();
            other.MirrorCross();
            for (int i = 0; i < D; i++)
            {
                Sum[i] += other.Sum[i];
                SumSqTimes[i] += other.SumSqTimes[i];
            }
            for (long i = 0; i < Cross.LongLength; i++) Cross[i] += other.Cross[i];
            SumSq += other.SumSq;
            SumSqSq += other.SumSqSq;
        }

        public Side Clone() => new(D)
        {
            Shift = (double[]?)Shift?.Clone(),
            Sum = (double[])Sum.Clone(),
            SumSq = SumSq,
            SumSqTimes = (double[])SumSqTimes.Clone(),
            SumSqSq = SumSqSq,
            Cross = (double[])Cross.Clone(),
            CrossIsUpperOnly = CrossIsUpperOnly,
        };
    }
}
